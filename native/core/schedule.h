// The training schedule: phases of constant-step-size (S)GD, and the mini-batches each step sees.
//
// The clock is the global step s = number of updates done. Phase p covers steps
// [start_p, start_p + steps_p). Inside a phase with batch size b < N, the local step t is in
// epoch e = t / floor(N/b) and takes rows perm_{p,e}[j b, (j+1) b), j = t mod floor(N/b): the
// N mod b rows left over at the end of each permutation are skipped (PyTorch's drop_last), so
// every step sees exactly b samples. perm_{p,e} is a pure function of (seed, p, e), so a run
// restarted at any step sees the same batches as an uninterrupted one. batch 0 means the full
// batch in dataset order (gradient descent).
#pragma once

#include <cstdint>
#include <vector>

#include "linalg.h"

namespace hl {

struct Phase {
  Index steps = 0;
  Index batch = 0;  // 0 = full batch (GD), else 1..N
  double lr = 0;
  double momentum = 0;  // PyTorch convention: v = mu v + g; w -= lr v
};

/// Throws InvalidArgument naming phases[i].field for an out-of-range phase.
void validate_phases(const std::vector<Phase>& phases, Index N);

Index total_steps(const std::vector<Phase>& phases);

/// splitmix64 (Steele, Lea, Flood 2014): the seed-mixing and stream generator of the schedule.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Permutation of 0..N-1 for epoch `epoch` of phase `phase` (Fisher-Yates over a splitmix64
/// stream keyed by (seed, phase, epoch)); identical on every platform.
void epoch_permutation(std::uint64_t seed, Index phase, Index epoch, std::vector<std::int32_t>& perm);

/// Which rows step s (global) uses. Caches the current epoch's permutation.
class BatchSchedule {
 public:
  BatchSchedule(const std::vector<Phase>& phases, Index N, std::uint64_t seed);
  /// The phase of global step s (0-based index of the update).
  Index phase_of(Index s) const;
  /// Rows of step s: nullptr for a full batch in dataset order; count = rows used.
  const std::int32_t* rows(Index s, Index& count);

 private:
  std::vector<Phase> phases_;
  std::vector<Index> start_;
  Index N_;
  std::uint64_t seed_;
  Index cached_phase_ = -1, cached_epoch_ = -1;
  std::vector<std::int32_t> perm_;
};

}  // namespace hl
