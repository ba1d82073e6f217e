#include "sequential_batch_pass.h"

#include <algorithm>

#include "errors.h"

namespace hl {

SequentialBatchPass::SequentialBatchPass(std::shared_ptr<const SequentialNet> net, Index max_batch)
    : net_(std::move(net)), max_batch_(max_batch) {
  require(max_batch >= 1, "max_batch must be >= 1; received " + std::to_string(max_batch));
}

Index SequentialBatchPass::count_correct(const DataView& data, const std::int32_t* rows, Index count) const {
  const Index k = net_->outputs();
  const double* F = pass_.a[static_cast<size_t>(net_->depth())].data();
  Index correct = 0;
  for (Index t = 0; t < count; ++t)
    if (predicted_class(net_->loss(), F + t * k, k) == data.y[rows ? rows[t] : t]) ++correct;
  return correct;
}

double SequentialBatchPass::loss_and_gradient(const double* params, const DataView& data, const std::int32_t* rows,
                                              Index count, double* grad, Index* correct) {
  if (count < 1 || count > max_batch_)  // (message built only on failure: this runs every step)
    fail(ErrorKind::InvalidArgument, "batch of " + std::to_string(count) + " rows outside [1, " + std::to_string(max_batch_) + "]");
  seq_forward(*net_, params, data, rows, count, true, pass_);
  if (correct) *correct += count_correct(data, rows, count);
  std::fill(grad, grad + net_->param_count(), 0.0);
  seq_accumulate_gradient(*net_, pass_, 1.0 / static_cast<double>(count), grad);
  return pass_.loss;
}

Measure SequentialBatchPass::measure(const double* params, const DataView& data) {
  double total = 0;
  Index correct = 0;
  for (Index begin = 0; begin < data.N; begin += max_batch_) {
    const Index count = std::min(max_batch_, data.N - begin);
    const DataView chunk{data.X + begin * net_->inputs(), data.y + begin, count};
    seq_forward(*net_, params, chunk, nullptr, count, false, pass_);
    total += pass_.loss * static_cast<double>(count);
    correct += count_correct(chunk, nullptr, count);
  }
  return {total / static_cast<double>(data.N), static_cast<double>(correct) / static_cast<double>(data.N)};
}

}  // namespace hl
