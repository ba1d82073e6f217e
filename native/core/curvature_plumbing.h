// The plumbing every curvature backend shares (the MLP's unit slabs in curvature.cc, the
// sequential models' R-operator blocks in sequential_curvature.cc, the matrix-free products in
// hvp.cc): one memory budget, one request check, block sinks and the one mirror routine, sample
// gathering and progress. The parallel loop is parallel_for (threads.h).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "control.h"
#include "curvature.h"
#include "hvp.h"

namespace hl {

/// The memory budget: every kernel sizes its blocks from these, and its workspace estimate
/// (assembly_workspace_bytes, products_workspace_bytes) reads the same constants. Per-worker
/// budgets are fixed (not a share of a total) so that block shapes, hence results, do not depend
/// on the thread count; the workspace estimate multiplies them by the threads.
namespace budget {
constexpr double kMiB = 1024.0 * 1024.0;
/// MLP unit slabs: one worker's Y buffer per kind (N x columns); a unit's columns are cut into
/// chunks that fit.
constexpr double kSlabYBytes = 32 * kMiB;
/// MLP within-layer blocks (pair route): the shared Khatri-Rao chunk abar (x) abar (N x pair
/// columns); a layer's (q <= s) pairs are cut into equal chunks that fit.
constexpr double kPairColumnBytes = 64 * kMiB;
/// MLP pair routes: at most this many unit pairs per GEMM task (its rows; enough to amortise the
/// packing of the shared chunk), and a layer's pairs cut into a multiple of kPairTasks equal
/// chunks, so that 1, 2 and 4 threads get equal shares of the largest blocks.
constexpr Index kPairRows = 256;
constexpr Index kPairTasks = 4;
/// Sequential models: one worker's tangent workspace for a block of directions x samples.
constexpr double kTangentBytes = 128 * kMiB;
/// Sequential models: directions per column block (enough GEMM rows, small enough to balance).
constexpr Index kTangentBlock = 64;
/// Conv slab route, the MLP-tail rows x the last conv layer's columns: the float64 staging of one
/// column chunk of that rectangle, per kind (the chunk is as wide as fits; its Y buffers, one
/// worker's kTailUnits x N x chunk columns, fit kSlabYBytes).
constexpr double kTailRectangleBytes = 128 * kMiB;
/// ... and the tail units (or input rows) per task: the rows of one contraction GEMM.
constexpr Index kTailUnits = 8;
/// Matrix-free products (both forms): the chunk of vectors processed in one pass over the layers.
constexpr double kProductChunkBytes = 256 * kMiB;
/// Gradient covariance of sequential models: rows per GEMM (and per float32 staging buffer).
constexpr Index kCovarianceRows = 256;
/// Training: rows of one chunk of a full-dataset pass when no batch is larger.
constexpr Index kMeasureRows = 4096;
/// Tiles of transposed copies (mirrors, slab scatters): a tile's reads and writes stay in cache.
constexpr Index kTransposeTile = 64;
}  // namespace budget

/// The rectangle [rb, re) x [cb, ce) a request asks for, with -1 ends resolved to M.
struct Rect {
  Index rb = 0, re = 0, cb = 0, ce = 0;
  Index rows() const { return re - rb; }
  Index cols() const { return ce - cb; }
  bool diagonal() const { return rb == cb && re == ce; }  // a square on the diagonal: output exactly symmetric
  bool full(Index M) const { return rb == 0 && cb == 0 && re == M && ce == M; }
};

/// Where each kind is in a request (its sink), or -1.
struct KindSlots {
  int slot[4] = {-1, -1, -1, -1};
  int of(CurvatureKind k) const { return slot[static_cast<int>(k)]; }
  bool has(CurvatureKind k) const { return of(k) >= 0; }
};

/// The one check of an assembly request, for every model form: a non-empty kind list without
/// repeats, one sink per kind (exactly one of f64/f32, ld >= columns, rows x ld addressable),
/// non-empty ranges inside [0, M], threads in range. Throws InvalidArgument naming the field.
Rect validate_request(const CurvatureRequest& request, const std::vector<BlockSink>& sinks, Index M);
KindSlots kind_slots(const std::vector<CurvatureKind>& kinds);

/// The sink of the sub-block starting at (row, col) of `s`.
BlockSink sub_sink(const BlockSink& s, Index row, Index col);
inline void put(const BlockSink& s, Index r, Index c, double v) {
  if (s.f64) s.f64[r * s.ld + c] = v;
  else s.f32[r * s.ld + c] = static_cast<float>(v);
}

/// The one mirror: for the index set idx[0..n) (increasing positions inside the sink), copies
/// entry (idx[a], idx[b]) to (idx[b], idx[a]) for a < b, in tiles. mirror_upper is idx = 0..n-1
/// (upper triangle onto lower).
void mirror_indices(const BlockSink& s, const Index* idx, Index n);
void mirror_upper(const BlockSink& s, Index n);

/// Selected samples as their own contiguous dataset (indices checked; nullptr = all, no copy).
struct SampleBatch {
  std::vector<double> X;
  std::vector<std::int32_t> y;
  DataView view;
};
SampleBatch gather_samples(const DataView& data, Index inputs, const std::int32_t* samples, Index count);

/// Checks a products call: k >= 1 vectors, out not overlapping V; threads in range.
void validate_products(const ProductRequest& request, const double* V, Index k, const double* out, Index M);

/// Progress of parallel work: add() from any worker; reports under a lock (Control::report is
/// not thread-safe), at most ~200 times.
class Progress {
 public:
  Progress(const Control& control, std::string stage, double total);
  void add(double work);

 private:
  const Control& control_;
  std::string stage_;
  double total_, done_ = 0, reported_ = -1;
  std::mutex mutex_;
};

}  // namespace hl
