// Multilayer perceptrons: the model description, the parameter layout, and batched
// forward/backward passes over a whole dataset (BLAS-3: one GEMM per layer for all samples).
//
// Conventions (the same as PyTorch's nn.Sequential of nn.Linear, so that
// torch.nn.utils.parameters_to_vector(model.parameters()) is importable as is):
//  * layer l = 1..L maps n_{l-1} -> n_l: z_l = W_l a_{l-1} + b_l, a_l = act(z_l) for l < L,
//    and the network output f = z_L (logits; no activation on the output layer);
//  * the parameter vector is, for each layer in order, W_l (n_l x n_{l-1}, row-major) then b_l.
//  * inputs X are N x n_0 row-major (sample-major); labels are class indices in [0, classes).
//  * the training loss is the mean over the N samples of the per-sample loss (see loss.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "activation.h"
#include "linalg.h"
#include "loss.h"

namespace hl {

struct MlpSpec {
  std::vector<Index> layers;  // n_0, ..., n_L (at least 2 entries)
  Activation activation = Activation::Relu;
  LossKind loss = LossKind::CrossEntropy;
  bool bias = true;

  Index depth() const { return static_cast<Index>(layers.size()) - 1; }  // L
  Index inputs() const { return layers.front(); }
  Index outputs() const { return layers.back(); }
  /// Number of classes the labels range over (2 for the one-output logistic loss).
  Index classes() const { return loss == LossKind::Logistic ? 2 : outputs(); }
  void validate() const;  // throws InvalidArgument with a precise message
};

/// Where each layer's weights and bias live in the flat parameter vector (PyTorch order).
class ParamLayout {
 public:
  explicit ParamLayout(const MlpSpec& spec);
  Index size() const { return total_; }                      // M
  Index weight_offset(Index l) const { return offset_[l - 1]; }  // l = 1..L
  Index bias_offset(Index l) const { return offset_[l - 1] + out_[l - 1] * in_[l - 1]; }
  Index in(Index l) const { return in_[l - 1]; }
  Index out(Index l) const { return out_[l - 1]; }
  bool bias() const { return bias_; }
  Index depth() const { return static_cast<Index>(in_.size()); }
  /// Flat index of W_l[r, s] (s < in) or of b_l[r] (s == in, only when bias is on).
  Index index(Index l, Index r, Index s) const {
    return s < in_[l - 1] ? offset_[l - 1] + r * in_[l - 1] + s : bias_offset(l) + r;
  }
  /// Layer (1..L) that owns flat parameter j.
  Index layer_of(Index j) const;

 private:
  std::vector<Index> in_, out_, offset_;
  Index total_ = 0;
  bool bias_ = true;
};

/// Read-only views of a dataset; the memory belongs to the caller.
struct DataView {
  const double* X = nullptr;  // N x n_0, row-major
  const std::int32_t* y = nullptr;  // N class indices in [0, classes)
  Index N = 0;
};

/// Everything a batched forward + backward pass leaves behind, all row-major sample-major.
struct Pass {
  std::vector<std::vector<double>> A;      // A[l], l = 0..L-1: activations a_l (N x n_l); A[0] = X copy
  std::vector<std::vector<double>> Z;      // Z[l], l = 1..L: pre-activations (N x n_l); Z[0] unused
  std::vector<std::vector<double>> Delta;  // Delta[l], l = 1..L: dl_i/dz_l per sample (N x n_l), NOT divided by N
  std::vector<double> losses;              // per-sample losses (N)
  double loss = 0;                         // mean loss
};

/// Checks that params has expected_params finite entries, X N*inputs finite entries and labels
/// in [0, classes) — the checks every model form shares.
void validate_values(Index expected_params, const double* params, Index param_count, const DataView& data, Index inputs,
                     Index classes);

/// Checks that params has M finite entries, X N*n_0 finite entries and labels valid for the loss.
void validate_inputs(const MlpSpec& spec, const double* params, Index param_count, const DataView& data);

/// Batched forward pass (and the backward pass for Delta when `backward`). O(M N) flops.
Pass run_pass(const MlpSpec& spec, const double* params, const DataView& data, bool backward);

/// Mean-loss gradient (M) from a pass: dL/dW_l = (1/N) Delta_l^T A_{l-1}, dL/db_l = mean Delta_l.
std::vector<double> gradient(const MlpSpec& spec, const Pass& pass);

/// Per-sample gradients of the per-sample losses (N x M row-major, NOT divided by N).
std::vector<double> per_sample_gradients(const MlpSpec& spec, const Pass& pass);

}  // namespace hl
