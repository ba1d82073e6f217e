// A forward + backward pass over a mini-batch that reuses its buffers from step to step: the inner
// loop of training. It computes exactly what run_pass + gradient (mlp.h) compute, but
//  * takes the batch as a list of row indices into the dataset (the SGD permutation), gathering
//    the rows into its own input buffer instead of copying the dataset;
//  * allocates once (for the largest batch it will see) instead of once per step;
//  * can run its products with plain loops instead of BLAS (`Gemm::Loops`): for the tiny nets of
//    trainMany (a few hundred parameters) the BLAS call overhead dominates, and plain loops can run
//    on many threads at once without touching OpenBLAS's global thread setting.
// Results do not depend on the number of threads of the caller: each run is sequential.
#pragma once

#include <cstdint>
#include <vector>

#include "mlp.h"

namespace hl {

enum class Gemm { Blas, Loops };

/// Mean loss and accuracy of a parameter vector on a dataset (forward only).
struct Measure {
  double loss = 0;
  double accuracy = 0;
};

/// What the training loop needs of a model, whatever its form: the loss and gradient of a batch
/// of rows, and full-dataset measures. BatchPass (MLPs) and SequentialBatchPass implement it.
class GradientPass {
 public:
  virtual ~GradientPass() = default;
  virtual double loss_and_gradient(const double* params, const DataView& data, const std::int32_t* rows, Index count,
                                   double* grad, Index* correct = nullptr) = 0;
  virtual Measure measure(const double* params, const DataView& data) = 0;
  virtual Index param_count() const = 0;
  virtual Index inputs() const = 0;
  virtual Index max_batch() const = 0;
};

class BatchPass : public GradientPass {
 public:
  /// max_batch: the largest number of rows any call will pass (the dataset size is always safe).
  BatchPass(const MlpSpec& spec, Index max_batch, Gemm gemm);

  /// Mean loss of the rows `rows[0..count)` (all rows 0..count-1 when rows == nullptr) and its
  /// gradient written to `grad` (M entries). The order of summation follows `rows`. When
  /// `correct` is given, adds the number of rows whose predicted class is their label.
  double loss_and_gradient(const double* params, const DataView& data, const std::int32_t* rows, Index count,
                           double* grad, Index* correct = nullptr) override;

  /// Mean loss and accuracy over the whole dataset, in chunks of at most max_batch rows.
  Measure measure(const double* params, const DataView& data) override;

  const ParamLayout& layout() const { return layout_; }
  Index param_count() const override { return layout_.size(); }
  Index inputs() const override { return spec_.inputs(); }
  Index max_batch() const override { return max_batch_; }

 private:
  void forward(const double* params, const DataView& data, const std::int32_t* rows, Index count);
  void gemm_nt(Index n, Index out, Index in, const double* A, const double* W, double beta, double* Z) const;
  void gemm_nn(Index n, Index in, Index out, const double* D, const double* W, double* R) const;
  void gemm_tn(Index out, Index in, Index n, double scale, const double* D, const double* A, double* G) const;

  MlpSpec spec_;
  ParamLayout layout_;
  Index max_batch_;
  Gemm gemm_;
  std::vector<std::vector<double>> A_, Z_, D_;  // as in Pass, sized for max_batch rows
  std::vector<double> u_;                       // per-sample dl/df scratch
  std::vector<std::int32_t> labels_;            // labels of the gathered rows
};

/// Predicted class of one output row: argmax of the logits (first on ties); for the one-output
/// logistic loss, 1 when f > 0.
Index predicted_class(LossKind loss, const double* f, Index k);

}  // namespace hl
