#include "schedule.h"

#include <cmath>
#include <string>

#include "errors.h"

namespace hl {

void validate_phases(const std::vector<Phase>& phases, Index N) {
  require(!phases.empty(), "phases must list at least one phase");
  for (size_t i = 0; i < phases.size(); ++i) {
    const Phase& p = phases[i];
    const std::string name = "phases[" + std::to_string(i) + "].";
    require(p.steps >= 1, name + "steps must be >= 1; received " + std::to_string(p.steps));
    require(p.batch >= 0 && p.batch <= N,
            name + "batchSize must be in [1, N = " + std::to_string(N) + "]; received " + std::to_string(p.batch));
    require(std::isfinite(p.lr) && p.lr > 0, name + "lr must be a finite number > 0; received " + std::to_string(p.lr));
    require(std::isfinite(p.momentum) && p.momentum >= 0 && p.momentum < 1,
            name + "momentum must be in [0, 1); received " + std::to_string(p.momentum));
  }
}

Index total_steps(const std::vector<Phase>& phases) {
  Index total = 0;
  for (const Phase& p : phases) total += p.steps;
  return total;
}

void epoch_permutation(std::uint64_t seed, Index phase, Index epoch, std::vector<std::int32_t>& perm) {
  std::uint64_t key = seed;
  key = splitmix64(key) ^ static_cast<std::uint64_t>(phase);
  key = splitmix64(key) ^ static_cast<std::uint64_t>(epoch);
  std::uint64_t state = splitmix64(key);
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<std::int32_t>(i);
  for (size_t i = perm.size(); i > 1; --i) {
    // Lemire's multiply-shift maps 64 random bits to [0, i); the bias (< i / 2^64) is irrelevant.
    const auto j = static_cast<size_t>((static_cast<unsigned __int128>(splitmix64(state)) * i) >> 64);
    std::swap(perm[i - 1], perm[j]);
  }
}

BatchSchedule::BatchSchedule(const std::vector<Phase>& phases, Index N, std::uint64_t seed)
    : phases_(phases), N_(N), seed_(seed), perm_(static_cast<size_t>(N)) {
  Index start = 0;
  for (const Phase& p : phases_) {
    start_.push_back(start);
    start += p.steps;
  }
}

Index BatchSchedule::phase_of(Index s) const {
  Index p = static_cast<Index>(phases_.size()) - 1;
  while (p > 0 && s < start_[p]) --p;
  return p;
}

const std::int32_t* BatchSchedule::rows(Index s, Index& count) {
  const Index p = phase_of(s);
  const Phase& phase = phases_[p];
  if (phase.batch == 0) {
    count = N_;
    return nullptr;
  }
  const Index per_epoch = N_ / phase.batch;
  const Index t = s - start_[p];
  const Index epoch = t / per_epoch, j = t % per_epoch;
  if (p != cached_phase_ || epoch != cached_epoch_) {
    epoch_permutation(seed_, p, epoch, perm_);
    cached_phase_ = p;
    cached_epoch_ = epoch;
  }
  count = phase.batch;
  return perm_.data() + j * phase.batch;
}

}  // namespace hl
