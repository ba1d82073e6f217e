// The training loop's pass (batch_pass.h's GradientPass) for sequential models: loss and
// gradient of a mini-batch given as row indices, and chunked full-dataset measures. Buffers are
// kept from step to step inside the SeqPass; products run on BLAS.
#pragma once

#include <memory>

#include "batch_pass.h"
#include "sequential.h"

namespace hl {

class SequentialBatchPass : public GradientPass {
 public:
  SequentialBatchPass(std::shared_ptr<const SequentialNet> net, Index max_batch);
  double loss_and_gradient(const double* params, const DataView& data, const std::int32_t* rows, Index count,
                           double* grad, Index* correct = nullptr) override;
  Measure measure(const double* params, const DataView& data) override;
  Index param_count() const override { return net_->param_count(); }
  Index inputs() const override { return net_->inputs(); }
  Index max_batch() const override { return max_batch_; }

 private:
  Index count_correct(const DataView& data, const std::int32_t* rows, Index count) const;
  std::shared_ptr<const SequentialNet> net_;
  Index max_batch_;
  SeqPass pass_;
};

}  // namespace hl
