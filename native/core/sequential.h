// Sequential models (convnets): a list of layers applied in order to an input of shape [C, H, W]
// (or [D]), the general form of which an MLP (mlp.h) is a special case. The MLP path stays the
// fast one for MLPs; this one covers conv2d, maxpool2d, flatten, linear and activations.
//
// Conventions (PyTorch's, so that an nn.Sequential's state_dict is importable as is):
//  * activations are stored per sample as flat row-major CHW vectors; a batch is R x size
//    (sample-major), like X (N x C*H*W);
//  * conv2d: out[o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] in_padded[c, y*sh + i, x*sw + j],
//    output size floor((H + 2 ph - kh) / sh) + 1 (zero padding);
//  * maxpool2d: the maximum over the window (padding never wins); on ties the FIRST maximum in
//    row-major window order receives the gradient (PyTorch's CPU kernel does the same);
//  * the parameter vector is, for each conv2d / linear layer in order, its weight ((out, in, kh,
//    kw) or (out, in), row-major) then its bias.
//  * ReLU'(0) = 0; the loss is the mean over samples of the per-sample loss (loss.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "activation.h"
#include "linalg.h"
#include "loss.h"
#include "mlp.h"

namespace hl {

enum class LayerKind { Conv2d, MaxPool2d, Flatten, Linear, Relu, Tanh, Sigmoid, Identity };

/// The pointwise function of an activation layer (Linear, i.e. the identity, for other kinds).
inline Activation activation_of(LayerKind k) {
  switch (k) {
    case LayerKind::Relu: return Activation::Relu;
    case LayerKind::Tanh: return Activation::Tanh;
    case LayerKind::Sigmoid: return Activation::Sigmoid;
    default: return Activation::Linear;
  }
}

struct LayerSpec {
  LayerKind kind = LayerKind::Identity;
  Index out = 0;                         // conv2d: out channels; linear: out features
  Index kh = 0, kw = 0, sh = 1, sw = 1;  // conv2d / maxpool2d window and stride
  Index ph = 0, pw = 0;                  // padding
  bool bias = true;                      // conv2d / linear
};

struct SequentialSpec {
  std::vector<Index> input_shape;  // [C, H, W] or [D]
  std::vector<LayerSpec> layers;
  LossKind loss = LossKind::CrossEntropy;
  /// Infers every shape; throws InvalidArgument naming the layer (e.g. a kernel larger than its input).
  void validate() const;
};

/// A validated model with its shapes and parameter offsets worked out once.
class SequentialNet {
 public:
  struct Shape { Index c = 1, h = 1, w = 1; bool flat = true; Index size() const { return c * h * w; } };
  struct Layer {
    LayerSpec spec;
    Shape in, out;
    Index weight_offset = 0, weight_size = 0, bias_offset = 0, bias_size = 0;  // sizes 0 when absent
    Index patch() const { return in.c * spec.kh * spec.kw; }  // conv2d: columns of the im2row matrix
    Index positions() const { return out.h * out.w; }
    bool has_params() const { return spec.kind == LayerKind::Conv2d || spec.kind == LayerKind::Linear; }
    Index param_end() const { return bias_offset + bias_size; }  // one past its last parameter
    // A parameter layer seen as "patches x weights": conv2d has P positions of `patch` inputs each;
    // linear is the case P = 1, patch = its input size. Outputs are CHW: channel-major, then position.
    Index gemm_positions() const { return spec.kind == LayerKind::Conv2d ? positions() : 1; }
    Index gemm_patch() const { return spec.kind == LayerKind::Conv2d ? patch() : in.size(); }
    Index gemm_channels() const { return spec.kind == LayerKind::Conv2d ? out.c : out.size(); }
  };

  explicit SequentialNet(const SequentialSpec& spec);  // validates
  Index param_count() const { return M_; }
  Index inputs() const { return layers_.front().in.size(); }
  Index outputs() const { return layers_.back().out.size(); }
  Index classes() const { return loss_ == LossKind::Logistic ? 2 : outputs(); }
  LossKind loss() const { return loss_; }
  Index depth() const { return static_cast<Index>(layers_.size()); }
  const Layer& layer(Index i) const { return layers_[static_cast<size_t>(i)]; }
  /// Size of activation a_i (a_0 = input, a_depth = output).
  Index size(Index i) const { return i == 0 ? inputs() : layers_[static_cast<size_t>(i - 1)].out.size(); }
  /// Index of the layer whose parameters hold flat parameter j.
  Index layer_of(Index j) const;

 private:
  std::vector<Layer> layers_;
  LossKind loss_;
  Index M_ = 0;
};

/// Forward (and backward) state of R rows. a[i] is R x size(i) (a[0] = the rows of X);
/// pool[i] holds maxpool i's argmax (flat input index per output entry); delta[i] = dl/da_i per
/// row (NOT divided by R), present after backward.
struct SeqPass {
  Index rows = 0;
  std::vector<std::vector<double>> a;
  std::vector<std::vector<std::int32_t>> pool;
  std::vector<std::vector<double>> delta;
  std::vector<double> losses;
  double loss = 0;
};

/// Checks params (M finite entries), X (N x inputs, finite) and labels, as validate_inputs does for MLPs.
void validate_inputs(const SequentialNet& net, const double* params, Index param_count, const DataView& data);

/// Forward pass over rows rows[0..count) of data (all rows 0..count-1 when rows == nullptr);
/// with `backward`, also the deltas. O(forward flops x count).
void seq_forward(const SequentialNet& net, const double* params, const DataView& data, const std::int32_t* rows,
                 Index count, bool backward, SeqPass& pass);

/// The backward half of seq_forward: deltas of every layer from pass.delta[depth] (R x k), which
/// the caller may set to any output sensitivities (a vector-Jacobian product per row).
void seq_backward(const SequentialNet& net, const double* params, SeqPass& pass);

/// Adds scale * (gradient of the summed per-row losses) to grad (M), from a pass with deltas.
void seq_accumulate_gradient(const SequentialNet& net, const SeqPass& pass, double scale, double* grad);

/// Per-row gradients (R x M row-major) of the per-row losses, from a pass with deltas.
std::vector<double> seq_per_sample_gradients(const SequentialNet& net, const SeqPass& pass);

// Building blocks shared with the curvature code (sequential_curvature.cc). Rows are independent.
namespace seq {
/// im2row: for each row, P = out.h*out.w patch rows of in.c*kh*kw values (zero padding), so a
/// conv2d is (R*P x patch) * W^T.
void im2row(const SequentialNet::Layer& L, const double* in, Index rows, double* cols);
/// One row of it: the patch of output position `position` (oy * out.w + ox) of ONE input x.
void patch_row(const SequentialNet::Layer& L, const double* x, Index position, double* row);
/// Adjoint of im2row: adds the patch rows back into in-gradients (R x in.size()).
void row2im_add(const SequentialNet::Layer& L, const double* cols, Index rows, double* in);
/// out (R x out.size(), CHW) = transpose per row of zt (R*P x out.c), plus bias when given.
void positions_to_chw(const SequentialNet::Layer& L, const double* zt, Index rows, const double* bias, double beta,
                      double* out);
/// zt (R*P x out.c) = transpose per row of d (R x out.size(), CHW).
void chw_to_positions(const SequentialNet::Layer& L, const double* d, Index rows, double* zt);
/// The linear part of a parameter layer on R rows: out = W in (no bias).
void apply_weights(const SequentialNet::Layer& L, const double* W, const double* in, Index rows, double* out,
                   std::vector<double>& scratch);
/// Its transpose: in_grad = W^T out_grad (overwrites in_grad).
void apply_weights_transposed(const SequentialNet::Layer& L, const double* W, const double* out_grad, Index rows,
                              double* in_grad, std::vector<double>& scratch);
}  // namespace seq

}  // namespace hl
