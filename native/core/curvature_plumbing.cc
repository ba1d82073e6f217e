#include "curvature_plumbing.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "errors.h"
#include "threads.h"

namespace hl {

namespace {

void check_range(const char* what, Index begin, Index end, Index M) {
  if (!(0 <= begin && begin < end && end <= M))
    fail(ErrorKind::InvalidArgument, std::string(what) + " must be a non-empty range [begin, end) inside [0, " +
                                         std::to_string(M) + "]; received [" + std::to_string(begin) + ", " +
                                         std::to_string(end) + ")");
}

template <typename T>
void mirror_typed(T* m, Index ld, const Index* idx, Index n) {
  constexpr Index kTile = budget::kTransposeTile;
  for (Index a0 = 0; a0 < n; a0 += kTile)
    for (Index b0 = a0; b0 < n; b0 += kTile) {
      const Index a1 = std::min(n, a0 + kTile), b1 = std::min(n, b0 + kTile);
      for (Index b = b0; b < b1; ++b) {
        T* row_b = m + idx[b] * ld;
        for (Index a = a0; a < std::min(a1, b); ++a) row_b[idx[a]] = m[idx[a] * ld + idx[b]];
      }
    }
}

}  // namespace

KindSlots kind_slots(const std::vector<CurvatureKind>& kinds) {
  KindSlots k;
  for (size_t t = 0; t < kinds.size(); ++t) k.slot[static_cast<int>(kinds[t])] = static_cast<int>(t);
  return k;
}

Rect validate_request(const CurvatureRequest& req, const std::vector<BlockSink>& sinks, Index M) {
  require(!req.kinds.empty(), "kinds must name at least one matrix");
  for (size_t t = 0; t < req.kinds.size(); ++t) {
    const int k = static_cast<int>(req.kinds[t]);
    require(k >= 0 && k <= 3, "kinds[" + std::to_string(t) + "] is not a curvature kind");
    for (size_t u = 0; u < t; ++u)
      require(req.kinds[u] != req.kinds[t], std::string("kinds lists ") + curvature_name(req.kinds[t]) + " twice");
  }
  require(sinks.size() == req.kinds.size(), "one output block per requested kind: " + std::to_string(req.kinds.size()) +
                                                " kinds, " + std::to_string(sinks.size()) + " outputs");
  Rect r{req.row_begin, req.row_end < 0 ? M : req.row_end, req.col_begin, req.col_end < 0 ? M : req.col_end};
  check_range("rows", r.rb, r.re, M);
  check_range("columns", r.cb, r.ce, M);
  for (size_t t = 0; t < sinks.size(); ++t) {
    const BlockSink& s = sinks[t];
    const std::string name = "output " + std::to_string(t) + " (" + curvature_name(req.kinds[t]) + ")";
    require((s.f64 != nullptr) != (s.f32 != nullptr), name + " must have exactly one of a float64 or float32 buffer");
    require(s.ld >= r.cols(), name + ": ld must be >= the " + std::to_string(r.cols()) + " columns; received " +
                                  std::to_string(s.ld));
    const Index elem = s.f64 ? 8 : 4;
    require(s.ld <= std::numeric_limits<Index>::max() / elem / r.rows(), name + ": rows x ld overflows");
  }
  resolve_threads(req.threads);
  return r;
}

BlockSink sub_sink(const BlockSink& s, Index row, Index col) {
  BlockSink o = s;
  if (s.f64) o.f64 = s.f64 + row * s.ld + col;
  else o.f32 = s.f32 + row * s.ld + col;
  return o;
}

void mirror_indices(const BlockSink& s, const Index* idx, Index n) {
  if (s.f64) mirror_typed(s.f64, s.ld, idx, n);
  else mirror_typed(s.f32, s.ld, idx, n);
}

void mirror_upper(const BlockSink& s, Index n) {
  std::vector<Index> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), Index(0));
  mirror_indices(s, idx.data(), n);
}

SampleBatch gather_samples(const DataView& data, Index inputs, const std::int32_t* samples, Index count) {
  SampleBatch b;
  if (samples == nullptr) {
    b.view = data;
    return b;
  }
  require(count >= 1, "samples must hold at least 1 index; received " + std::to_string(count));
  b.X.resize(static_cast<size_t>(count * inputs));
  b.y.resize(static_cast<size_t>(count));
  for (Index t = 0; t < count; ++t) {
    const Index i = samples[t];
    if (i < 0 || i >= data.N)  // (message built only on failure: this runs once per sample per product)
      fail(ErrorKind::InvalidArgument, "samples[" + std::to_string(t) + "] must be a sample index in [0, " +
                                           std::to_string(data.N - 1) + "]; received " + std::to_string(i));
    std::copy(data.X + i * inputs, data.X + (i + 1) * inputs, b.X.data() + t * inputs);
    b.y[static_cast<size_t>(t)] = data.y[i];
  }
  b.view = {b.X.data(), b.y.data(), count};
  return b;
}

void validate_products(const ProductRequest& req, const double* V, Index k, const double* out, Index M) {
  require(k >= 1, "the number of vectors must be >= 1; received " + std::to_string(k));
  require(k <= std::numeric_limits<Index>::max() / 8 / std::max<Index>(M, 1), "k x M overflows");
  require(V != nullptr && out != nullptr && (out + k * M <= V || V + k * M <= out), "out must not overlap V");
  resolve_threads(req.threads);
}

Progress::Progress(const Control& control, std::string stage, double total)
    : control_(control), stage_(std::move(stage)), total_(std::max(total, 1e-300)) {}

void Progress::add(double work) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += work;
  const double f = std::min(1.0, done_ / total_);
  if (f >= 1.0 || f - reported_ >= 0.005) {
    reported_ = f;
    control_.report(stage_, f);
  }
}

}  // namespace hl
