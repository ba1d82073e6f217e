// The training loop: constant-step-size (S)GD with optional momentum over a schedule of phases
// (schedule.h), recording full-batch metrics every `record_every` steps. The loop runs in
// segments [state.step, end_step) so the caller (TypeScript) can checkpoint between segments;
// a segment resumed from a saved state gives bit-identical weights to an uninterrupted run.
#pragma once

#include <cstdint>
#include <vector>

#include <memory>

#include "batch_pass.h"
#include "model.h"
#include "control.h"
#include "schedule.h"

namespace hl {

struct TrainOptions {
  std::vector<Phase> phases;
  std::uint64_t seed = 0;
  Index record_every = 0;       // record at steps that are multiples of this (0: only first and last)
  double grad_norm_stop = 0;    // stop at a record whose full-batch gradient norm is <= this (0: off)
};

/// Full-batch metrics after `step` updates. Test fields are NaN without test data.
struct Record {
  Index step = 0;
  double train_loss = 0, train_accuracy = 0, grad_norm = 0;
  double test_loss = 0, test_accuracy = 0;
};

struct TrainState {
  std::vector<double> params;    // M
  std::vector<double> velocity;  // M (zeros at the start; only meaningful with momentum)
  Index step = 0;                // updates done
};

enum class StopReason { SegmentEnd, Steps, GradNorm };

class Trainer {
 public:
  /// Checks phases against data.N; test may have N = 0 (no test set).
  /// MLPs use BatchPass (with `gemm`), sequential models SequentialBatchPass (always BLAS).
  Trainer(const ModelSpec& model, const DataView& train, const DataView& test, TrainOptions options, Gemm gemm);

  /// Runs updates until state.step == end_step (<= total steps) or the gradient-norm stop.
  /// Records at step 0 (when starting there), at multiples of record_every, and at the last step
  /// of the schedule. Throws Error(Numerical) naming the step when the loss or gradient stops
  /// being finite, and Error(Cancelled) when control is cancelled (checked every step).
  StopReason run(TrainState& state, Index end_step, std::vector<Record>& records, const Control& control);

  /// Mean loss and its gradient over the whole training set (in chunks of the workspace size);
  /// adds the number of correctly classified samples to *correct when given.
  double full_gradient(const double* params, std::vector<double>& grad, Index* correct = nullptr);
  Record record(const double* params, Index step);
  Index total_steps() const { return total_; }

 private:
  DataView train_, test_;
  TrainOptions options_;
  Index total_;
  std::unique_ptr<GradientPass> pass_;
  BatchSchedule schedule_;
  std::vector<double> grad_, chunk_grad_;
};

/// One run of train_many: its final state and metrics.
struct RunOutcome {
  enum Status { Steps = 0, GradNorm = 1, Diverged = 2 } status = Steps;
  Index steps = 0;     // updates done (for a diverged run: the step that failed)
  Record last;         // the last record (NaN losses for a diverged run)
};

/// Trains R independent runs from inits (R x M row-major; overwritten with the final params),
/// run r using schedule seed options.seed + r, in parallel on `threads` threads with plain-loop
/// products (Gemm::Loops). A diverged run is reported, not thrown. Progress: runs done / R.
std::vector<RunOutcome> train_many(const MlpSpec& spec, const DataView& train, const DataView& test,
                                   const TrainOptions& options, std::vector<double>& inits, Index runs, int threads,
                                   const Control& control);

}  // namespace hl
