#include "batch_pass.h"

#include <algorithm>

#include "errors.h"

namespace hl {

Index predicted_class(LossKind loss, const double* f, Index k) {
  if (loss == LossKind::Logistic) return f[0] > 0 ? 1 : 0;
  Index best = 0;
  for (Index c = 1; c < k; ++c)
    if (f[c] > f[best]) best = c;
  return best;
}

BatchPass::BatchPass(const MlpSpec& spec, Index max_batch, Gemm gemm)
    : spec_(spec), layout_(spec), max_batch_(max_batch), gemm_(gemm) {
  require(max_batch >= 1, "max_batch must be >= 1; received " + std::to_string(max_batch));
  const Index L = spec.depth();
  A_.resize(L);
  Z_.resize(L + 1);
  D_.resize(L + 1);
  A_[0].resize(max_batch * spec.inputs());
  for (Index l = 1; l <= L; ++l) {
    Z_[l].resize(max_batch * spec.layers[l]);
    D_[l].resize(max_batch * spec.layers[l]);
    if (l < L) A_[l].resize(max_batch * spec.layers[l]);
  }
  u_.resize(spec.outputs());
  labels_.resize(max_batch);
}

// Z = A W^T (+ beta Z): (n x in)(in x out).
void BatchPass::gemm_nt(Index n, Index out, Index in, const double* A, const double* W, double beta, double* Z) const {
  if (gemm_ == Gemm::Blas) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0, A, in, W, in, beta, Z, out);
    return;
  }
  for (Index i = 0; i < n; ++i) {
    const double* a = A + i * in;
    double* z = Z + i * out;
    for (Index r = 0; r < out; ++r) {
      const double* w = W + r * in;
      double s = 0;
      for (Index c = 0; c < in; ++c) s += a[c] * w[c];
      z[r] = beta * z[r] + s;
    }
  }
}

// R = D W: (n x out)(out x in).
void BatchPass::gemm_nn(Index n, Index in, Index out, const double* D, const double* W, double* R) const {
  if (gemm_ == Gemm::Blas) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0, D, out, W, in, 0.0, R, in);
    return;
  }
  std::fill(R, R + n * in, 0.0);
  for (Index i = 0; i < n; ++i) {
    const double* d = D + i * out;
    double* r = R + i * in;
    for (Index o = 0; o < out; ++o) {
      const double dv = d[o];
      if (dv == 0.0) continue;  // ReLU zeros: common, and skipping them changes no sum
      const double* w = W + o * in;
      for (Index c = 0; c < in; ++c) r[c] += dv * w[c];
    }
  }
}

// G = scale D^T A: (out x n)(n x in).
void BatchPass::gemm_tn(Index out, Index in, Index n, double scale, const double* D, const double* A, double* G) const {
  if (gemm_ == Gemm::Blas) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, scale, D, out, A, in, 0.0, G, in);
    return;
  }
  std::fill(G, G + out * in, 0.0);
  for (Index i = 0; i < n; ++i) {
    const double* d = D + i * out;
    const double* a = A + i * in;
    for (Index o = 0; o < out; ++o) {
      const double dv = d[o];
      if (dv == 0.0) continue;
      double* g = G + o * in;
      for (Index c = 0; c < in; ++c) g[c] += dv * a[c];
    }
  }
  for (Index t = 0; t < out * in; ++t) G[t] *= scale;
}

void BatchPass::forward(const double* params, const DataView& data, const std::int32_t* rows, Index count) {
  if (count < 1 || count > max_batch_)  // (message built only on failure: this runs every step)
    fail(ErrorKind::InvalidArgument, "batch of " + std::to_string(count) + " rows outside [1, " + std::to_string(max_batch_) + "]");
  const Index n0 = spec_.inputs(), L = spec_.depth();
  for (Index i = 0; i < count; ++i) {
    const Index src = rows ? rows[i] : i;
    std::copy(data.X + src * n0, data.X + (src + 1) * n0, A_[0].data() + i * n0);
    labels_[i] = data.y[src];
  }
  for (Index l = 1; l <= L; ++l) {
    const Index in = layout_.in(l), out = layout_.out(l);
    double* Z = Z_[l].data();
    if (layout_.bias()) {
      const double* b = params + layout_.bias_offset(l);
      for (Index i = 0; i < count; ++i) std::copy(b, b + out, Z + i * out);
    }
    gemm_nt(count, out, in, A_[l - 1].data(), params + layout_.weight_offset(l), layout_.bias() ? 1.0 : 0.0, Z);
    if (l < L) {
      double* A = A_[l].data();
      for (Index t = 0; t < count * out; ++t) A[t] = act_value(spec_.activation, Z[t]);
    }
  }
}

double BatchPass::loss_and_gradient(const double* params, const DataView& data, const std::int32_t* rows, Index count,
                                    double* grad, Index* correct) {
  forward(params, data, rows, count);
  const Index L = spec_.depth(), k = spec_.outputs();
  const double* F = Z_[L].data();
  double total = 0;
  for (Index i = 0; i < count; ++i) {
    total += sample_loss(spec_.loss, F + i * k, k, labels_[i], D_[L].data() + i * k, nullptr);
    if (correct && predicted_class(spec_.loss, F + i * k, k) == labels_[i]) ++*correct;
  }
  for (Index l = L; l >= 2; --l) {
    const Index in = layout_.in(l), out = layout_.out(l);
    double* D = D_[l - 1].data();
    gemm_nn(count, in, out, D_[l].data(), params + layout_.weight_offset(l), D);
    const double* Z = Z_[l - 1].data();
    for (Index t = 0; t < count * in; ++t) D[t] *= act_d1(spec_.activation, Z[t]);
  }
  const double scale = 1.0 / static_cast<double>(count);
  for (Index l = 1; l <= L; ++l) {
    const Index in = layout_.in(l), out = layout_.out(l);
    gemm_tn(out, in, count, scale, D_[l].data(), A_[l - 1].data(), grad + layout_.weight_offset(l));
    if (layout_.bias()) {
      double* gb = grad + layout_.bias_offset(l);
      std::fill(gb, gb + out, 0.0);
      const double* D = D_[l].data();
      for (Index i = 0; i < count; ++i)
        for (Index r = 0; r < out; ++r) gb[r] += scale * D[i * out + r];
    }
  }
  return total / static_cast<double>(count);
}

Measure BatchPass::measure(const double* params, const DataView& data) {
  const Index L = spec_.depth(), k = spec_.outputs();
  double total = 0;
  Index correct = 0;
  for (Index begin = 0; begin < data.N; begin += max_batch_) {
    const Index count = std::min(max_batch_, data.N - begin);
    const DataView chunk{data.X + begin * spec_.inputs(), data.y + begin, count};
    forward(params, chunk, nullptr, count);
    const double* F = Z_[L].data();
    for (Index i = 0; i < count; ++i) {
      total += sample_loss(spec_.loss, F + i * k, k, labels_[i], u_.data(), nullptr);
      if (predicted_class(spec_.loss, F + i * k, k) == labels_[i]) ++correct;
    }
  }
  return {total / static_cast<double>(data.N), static_cast<double>(correct) / static_cast<double>(data.N)};
}

}  // namespace hl
