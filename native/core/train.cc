#include "train.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>

#include "curvature_plumbing.h"
#include "errors.h"
#include "sequential_batch_pass.h"
#include "threads.h"

namespace hl {

namespace {

constexpr Index kMeasureRows = budget::kMeasureRows;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Index workspace_rows(const std::vector<Phase>& phases, Index N, Index test_N) {
  Index rows = std::min(std::max(N, test_N), kMeasureRows);
  for (const Phase& p : phases) rows = std::max(rows, p.batch == 0 ? N : p.batch);
  return std::max<Index>(rows, 1);
}

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::unique_ptr<GradientPass> make_pass(const ModelSpec& model, Index max_batch, Gemm gemm) {
  if (model.sequential) return std::make_unique<SequentialBatchPass>(model.sequential, max_batch);
  return std::make_unique<BatchPass>(model.mlp, max_batch, gemm);
}

}  // namespace

Trainer::Trainer(const ModelSpec& model, const DataView& train, const DataView& test, TrainOptions options, Gemm gemm)
    : train_(train),
      test_(test),
      options_(std::move(options)),
      total_((validate_phases(options_.phases, train.N), hl::total_steps(options_.phases))),
      pass_(make_pass(model, workspace_rows(options_.phases, train.N, test.N), gemm)),
      schedule_(options_.phases, train.N, options_.seed) {
  require(options_.record_every >= 0, "recordEvery must be >= 0");
  require(std::isfinite(options_.grad_norm_stop) && options_.grad_norm_stop >= 0, "gradNormStop must be >= 0");
  grad_.resize(pass_->param_count());
  chunk_grad_.resize(pass_->param_count());
}

StopReason Trainer::run(TrainState& state, Index end_step, std::vector<Record>& records, const Control& control) {
  const Index M = pass_->param_count(), start = state.step;
  require(static_cast<Index>(state.params.size()) == M, "params must have " + std::to_string(M) + " entries");
  if (state.velocity.empty()) state.velocity.assign(M, 0.0);
  require(static_cast<Index>(state.velocity.size()) == M, "velocity must have " + std::to_string(M) + " entries");
  require(start >= 0 && start < total_, "startStep must be in [0, " + std::to_string(total_) + "); received " +
                                            std::to_string(start));
  require(end_step > start && end_step <= total_, "endStep must be in (" + std::to_string(start) + ", " +
                                                      std::to_string(total_) + "]; received " + std::to_string(end_step));
  const bool stop_on_norm = options_.grad_norm_stop > 0;
  const Index K = options_.record_every;
  auto take_record = [&](Index step) {
    records.push_back(record(state.params.data(), step));
    return stop_on_norm && records.back().grad_norm <= options_.grad_norm_stop;
  };
  if (start == 0) {
    BlasThreads single(1, &control);
    if (take_record(0)) return StopReason::GradNorm;
  }
  const Index report_every = std::max<Index>(1, (end_step - start) / 200);
  double* w = state.params.data();
  double* v = state.velocity.data();
  const double* g = grad_.data();
  for (Index s = start; s < end_step; ++s) {
    control.check();
    BlasThreads single(1, &control);  // BLAS at 1 thread for this step; a threaded scope may run between steps
    Index count = 0;
    const std::int32_t* rows = schedule_.rows(s, count);
    const double loss = pass_->loss_and_gradient(w, train_, rows, count, grad_.data());
    double norm2 = 0;
    for (Index j = 0; j < M; ++j) norm2 += g[j] * g[j];
    const Phase& phase = options_.phases[schedule_.phase_of(s)];
    if (!std::isfinite(loss) || !std::isfinite(norm2))
      fail(ErrorKind::Numerical, "training diverged at step " + std::to_string(s + 1) + ": the batch loss is " +
                                     number(loss) + " and the gradient norm " + number(std::sqrt(norm2)) +
                                     " (phase " + std::to_string(schedule_.phase_of(s)) + ", lr " + number(phase.lr) +
                                     "); try a smaller learning rate");
    const double lr = phase.lr, mu = phase.momentum;
    for (Index j = 0; j < M; ++j) {
      v[j] = mu * v[j] + g[j];
      w[j] -= lr * v[j];
    }
    state.step = s + 1;
    if (((K > 0 && state.step % K == 0) || state.step == total_) && take_record(state.step)) return StopReason::GradNorm;
    if ((s + 1 - start) % report_every == 0)
      control.report("training", static_cast<double>(s + 1 - start) / static_cast<double>(end_step - start));
  }
  return state.step == total_ ? StopReason::Steps : StopReason::SegmentEnd;
}

Record Trainer::record(const double* params, Index step) {
  Record r;
  r.step = step;
  Index correct = 0;
  r.train_loss = full_gradient(params, grad_, &correct);
  r.train_accuracy = static_cast<double>(correct) / static_cast<double>(train_.N);
  double norm2 = 0;
  for (double x : grad_) norm2 += x * x;
  r.grad_norm = std::sqrt(norm2);
  if (test_.N > 0) {
    const Measure m = pass_->measure(params, test_);
    r.test_loss = m.loss;
    r.test_accuracy = m.accuracy;
  } else {
    r.test_loss = r.test_accuracy = kNaN;
  }
  if (!std::isfinite(r.train_loss) || !std::isfinite(r.grad_norm))
    fail(ErrorKind::Numerical, "training diverged at step " + std::to_string(step) + ": the training loss is " +
                                   number(r.train_loss) + "; try a smaller learning rate");
  return r;
}

double Trainer::full_gradient(const double* params, std::vector<double>& grad, Index* correct) {
  const Index N = train_.N, rows = pass_->max_batch(), M = pass_->param_count();
  if (rows >= N) return pass_->loss_and_gradient(params, train_, nullptr, N, grad.data(), correct);
  // Chunked: the mean over chunks weighted by their sizes.
  std::fill(grad.begin(), grad.end(), 0.0);
  double loss = 0;
  for (Index begin = 0; begin < N; begin += rows) {
    const Index count = std::min(rows, N - begin);
    const DataView chunk{train_.X + begin * pass_->inputs(), train_.y + begin, count};
    const double weight = static_cast<double>(count) / static_cast<double>(N);
    loss += weight * pass_->loss_and_gradient(params, chunk, nullptr, count, chunk_grad_.data(), correct);
    for (Index j = 0; j < M; ++j) grad[j] += weight * chunk_grad_[j];
  }
  return loss;
}

std::vector<RunOutcome> train_many(const MlpSpec& spec, const DataView& train, const DataView& test,
                                   const TrainOptions& options, std::vector<double>& inits, Index runs, int threads,
                                   const Control& control) {
  const Index M = ParamLayout(spec).size();
  require(runs >= 1, "runs must be >= 1");
  require(static_cast<Index>(inits.size()) == runs * M, "inits must hold runs x M = " + std::to_string(runs * M) +
                                                            " entries; received " + std::to_string(inits.size()));
  validate_phases(options.phases, train.N);
  const Index total = total_steps(options.phases);
  std::vector<RunOutcome> outcomes(static_cast<size_t>(runs));
  std::atomic<Index> done{0};
  std::mutex mutex;  // guards control.report (not thread-safe)
  Control quiet = control;
  quiet.progress = nullptr;
  require(threads >= 1 && threads <= kMaxThreads, "threads must be in [1, " + std::to_string(kMaxThreads) + "]");
  parallel_for(runs, threads, &control, [&](Index r, int) {
    TrainOptions mine = options;
    mine.seed = options.seed + static_cast<std::uint64_t>(r);
    Trainer trainer(ModelSpec{spec, nullptr}, train, test, mine, Gemm::Loops);
    TrainState state;
    state.params.assign(inits.begin() + r * M, inits.begin() + (r + 1) * M);
    std::vector<Record> records;
    RunOutcome& out = outcomes[static_cast<size_t>(r)];
    try {
      const StopReason why = trainer.run(state, total, records, quiet);
      out.status = why == StopReason::GradNorm ? RunOutcome::GradNorm : RunOutcome::Steps;
      out.steps = state.step;
      out.last = records.back();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Numerical) throw;
      out.status = RunOutcome::Diverged;
      out.steps = state.step + 1;
      out.last.step = state.step;
      out.last.train_loss = out.last.train_accuracy = out.last.grad_norm = kNaN;
      out.last.test_loss = out.last.test_accuracy = kNaN;
    }
    std::copy(state.params.begin(), state.params.end(), inits.begin() + r * M);
    const Index finished = ++done;
    std::lock_guard<std::mutex> lock(mutex);
    control.report("training runs", static_cast<double>(finished) / static_cast<double>(runs));
  });
  return outcomes;
}

}  // namespace hl
