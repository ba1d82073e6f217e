#include "mlp.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "checked_size.h"
#include "errors.h"

namespace hl {

Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "linear") return Activation::Linear;
  fail(ErrorKind::InvalidArgument, "activation must be one of relu | tanh | sigmoid | linear; received \"" + name + "\"");
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Relu: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Linear: return "linear";
  }
  return "?";
}

void MlpSpec::validate() const {
  require(layers.size() >= 2, "layers must list at least 2 sizes [inputs, ..., outputs]; received " +
                                  std::to_string(layers.size()));
  for (size_t i = 0; i < layers.size(); ++i)
    require(layers[i] >= 1 && layers[i] <= kMaxSize, "layers[" + std::to_string(i) + "] must be in [1, " +
                                                         std::to_string(kMaxSize) + "]; received " + std::to_string(layers[i]));
  // The parameter count, checked before ParamLayout sums it unchecked.
  Index M = 0;
  for (size_t l = 1; l < layers.size(); ++l) {
    const Index w = checked_mul(layers[l], layers[l - 1], "the parameter count", kMaxSize);
    M = checked_add(M, checked_add(w, bias ? layers[l] : 0, "the parameter count", kMaxSize), "the parameter count", kMaxSize);
  }
  if (loss == LossKind::Logistic)
    require(outputs() == 1, "the logistic loss needs exactly 1 output; received " + std::to_string(outputs()));
  if (loss == LossKind::CrossEntropy)
    require(outputs() >= 2, "the cross_entropy loss needs at least 2 outputs; received " + std::to_string(outputs()));
}

ParamLayout::ParamLayout(const MlpSpec& spec) : bias_(spec.bias) {
  for (Index l = 1; l <= spec.depth(); ++l) {
    in_.push_back(spec.layers[l - 1]);
    out_.push_back(spec.layers[l]);
    offset_.push_back(total_);
    total_ += spec.layers[l] * spec.layers[l - 1] + (spec.bias ? spec.layers[l] : 0);
  }
}

Index ParamLayout::layer_of(Index j) const {
  auto it = std::upper_bound(offset_.begin(), offset_.end(), j);
  return static_cast<Index>(it - offset_.begin());
}

void validate_values(Index expected_params, const double* params, Index param_count, const DataView& data, Index inputs,
                     Index classes) {
  require(param_count == expected_params, "params must have " + std::to_string(expected_params) +
                                              " entries for these layers; received " + std::to_string(param_count));
  require(data.N >= 1, "the dataset must have at least 1 sample; received N = " + std::to_string(data.N));
  // Messages are built only on failure: these loops run over N * n_0 entries.
  for (Index j = 0; j < param_count; ++j)
    if (!std::isfinite(params[j])) fail(ErrorKind::InvalidArgument, "params must be finite; entry " + std::to_string(j) + " is not");
  for (Index i = 0; i < data.N * inputs; ++i)
    if (!std::isfinite(data.X[i]))
      fail(ErrorKind::InvalidArgument, "X must be finite; sample " + std::to_string(i / inputs) + ", feature " +
                                           std::to_string(i % inputs) + " is not");
  for (Index i = 0; i < data.N; ++i)
    if (data.y[i] < 0 || data.y[i] >= classes)
      fail(ErrorKind::InvalidArgument, "labels must be integers in [0, " + std::to_string(classes - 1) + "]; label " +
                                           std::to_string(i) + " is " + std::to_string(data.y[i]));
}

void validate_inputs(const MlpSpec& spec, const double* params, Index param_count, const DataView& data) {
  spec.validate();
  validate_values(ParamLayout(spec).size(), params, param_count, data, spec.inputs(), spec.classes());
}

Pass run_pass(const MlpSpec& spec, const double* params, const DataView& data, bool backward) {
  const ParamLayout layout(spec);
  const Index L = spec.depth(), N = data.N, k = spec.outputs();
  Pass pass;
  pass.A.resize(L);
  pass.Z.resize(L + 1);
  pass.A[0].assign(data.X, data.X + N * spec.inputs());
  for (Index l = 1; l <= L; ++l) {
    const Index in = layout.in(l), out = layout.out(l);
    auto& Z = pass.Z[l];
    Z.resize(N * out);
    if (layout.bias()) {
      const double* b = params + layout.bias_offset(l);
      for (Index i = 0; i < N; ++i) std::copy(b, b + out, Z.data() + i * out);
    }
    // Z = A_{l-1} W_l^T (+ b): (N x in) (in x out).
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, out, in, 1.0, pass.A[l - 1].data(), in,
                params + layout.weight_offset(l), in, layout.bias() ? 1.0 : 0.0, Z.data(), out);
    if (l < L) {
      auto& A = pass.A[l];
      A.resize(N * out);
      for (Index t = 0; t < N * out; ++t) A[t] = act_value(spec.activation, Z[t]);
    }
  }
  pass.losses.resize(N);
  if (backward) {
    pass.Delta.resize(L + 1);
    pass.Delta[L].resize(N * k);
  }
  const auto& F = pass.Z[L];
  double total = 0;
  for (Index i = 0; i < N; ++i) {
    double* u = backward ? pass.Delta[L].data() + i * k : nullptr;
    pass.losses[i] = sample_loss(spec.loss, F.data() + i * k, k, data.y[i], u, nullptr);
    total += pass.losses[i];
  }
  pass.loss = total / static_cast<double>(N);
  if (!backward) return pass;
  for (Index l = L; l >= 2; --l) {
    const Index in = layout.in(l), out = layout.out(l);
    auto& D = pass.Delta[l - 1];
    D.resize(N * in);
    // Delta_{l-1} = (Delta_l W_l) .* act'(Z_{l-1}): (N x out)(out x in).
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, in, out, 1.0, pass.Delta[l].data(), out,
                params + layout.weight_offset(l), in, 0.0, D.data(), in);
    const auto& Z = pass.Z[l - 1];
    for (Index t = 0; t < N * in; ++t) D[t] *= act_d1(spec.activation, Z[t]);
  }
  return pass;
}

std::vector<double> gradient(const MlpSpec& spec, const Pass& pass) {
  const ParamLayout layout(spec);
  const Index N = static_cast<Index>(pass.losses.size());
  std::vector<double> g(layout.size(), 0.0);
  const double scale = 1.0 / static_cast<double>(N);
  for (Index l = 1; l <= spec.depth(); ++l) {
    const Index in = layout.in(l), out = layout.out(l);
    // dL/dW_l = (1/N) Delta_l^T A_{l-1}: (out x N)(N x in).
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, N, scale, pass.Delta[l].data(), out,
                pass.A[l - 1].data(), in, 0.0, g.data() + layout.weight_offset(l), in);
    if (layout.bias()) {
      double* gb = g.data() + layout.bias_offset(l);
      for (Index i = 0; i < N; ++i)
        for (Index r = 0; r < out; ++r) gb[r] += scale * pass.Delta[l][i * out + r];
    }
  }
  return g;
}

std::vector<double> per_sample_gradients(const MlpSpec& spec, const Pass& pass) {
  const ParamLayout layout(spec);
  const Index N = static_cast<Index>(pass.losses.size()), M = layout.size();
  std::vector<double> G(N * M);
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < N; ++i) {
    double* g = G.data() + i * M;
    for (Index l = 1; l <= spec.depth(); ++l) {
      const Index in = layout.in(l), out = layout.out(l);
      const double* d = pass.Delta[l].data() + i * out;
      const double* a = pass.A[l - 1].data() + i * in;
      double* w = g + layout.weight_offset(l);
      for (Index r = 0; r < out; ++r)
        for (Index s = 0; s < in; ++s) w[r * in + s] = d[r] * a[s];
      if (layout.bias()) std::copy(d, d + out, g + layout.bias_offset(l));
    }
  }
  return G;
}

}  // namespace hl
