#include "sequential_curvature.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "activation.h"
#include "conv_slabs.h"
#include "curvature_plumbing.h"
#include "errors.h"
#include "threads.h"

namespace hl {

namespace {

constexpr Index kMaxBlock = budget::kTangentBlock;

using Layer = SequentialNet::Layer;

// The patch rows of `rows` input rows: im2row for conv2d, the rows themselves for linear.
const double* patches(const Layer& L, const double* x, Index rows, std::vector<double>& buf) {
  if (L.spec.kind != LayerKind::Conv2d) return x;
  buf.resize(static_cast<size_t>(rows * L.positions() * L.patch()));
  seq::im2row(L, x, rows, buf.data());
  return buf.data();
}

// The primal forward/backward pass of the selected samples, with each sample's output Hessian.
struct Primal {
  SeqPass pass;
  std::vector<double> hess;  // N x k x k (only when H or G is requested)
  const double* a(const SequentialNet& net, Index i, Index n0) const { return pass.a[size_t(i)].data() + n0 * net.size(i); }
  const double* delta(const SequentialNet& net, Index i, Index n0) const {
    return pass.delta[size_t(i)].data() + n0 * net.size(i);
  }
  const std::int32_t* arg(const SequentialNet& net, Index i, Index n0) const {
    return pass.pool[size_t(i)].data() + n0 * net.layer(i).out.size();
  }
};

Primal primal_pass(const SequentialNet& net, const double* params, const DataView& data, const std::int32_t* rows,
                   Index count, bool with_hess, const std::int32_t* labels) {
  Primal p;
  seq_forward(net, params, data, rows, count, true, p.pass);
  if (with_hess) {
    const Index k = net.outputs();
    p.hess.resize(size_t(count * k * k));
    const double* F = p.pass.a[size_t(net.depth())].data();
    for (Index n = 0; n < count; ++n)
      sample_loss(net.loss(), F + n * k, k, labels[rows ? rows[n] : n], nullptr, p.hess.data() + n * k * k);
  }
  return p;
}

struct Kinds { bool h = false, g = false, r = false; };

// Doubles of tangent workspace per (vector, sample) row for blocks of up to B directions whose
// tangents start at layer q. Patches of the tangents (and their regrouping) exist at the layers
// after q, and at q only when the backward pass goes below it (`below`: the dW^T delta term); at q
// itself otherwise only the primal patches, shared by the B directions of a sample.
double doubles_per_row(const SequentialNet& net, Index q, bool below, Index B) {
  double t = 0, widest = 0, conv = 0;
  for (Index i = q; i < net.depth(); ++i) {
    const Layer& L = net.layer(i);
    t += double(L.out.size());
    widest = std::max(widest, double(std::max(L.in.size(), L.out.size())));
    if (!L.has_params()) continue;
    const double K = double(L.gemm_patch()), patches = i > q || below ? 2.0 * K : K / double(B);
    conv = std::max(conv, double(L.gemm_positions()) * (patches + 3.0 * double(L.gemm_channels())));
  }
  return t + 3 * widest + conv;
}

// Rows [row0, row1) of a B x (row1 - row0) accumulator; adds B blocks of values for the
// parameters [first, first + length), vector j's block at src + j * stride.
void add_rows(double* acc, Index B, Index row0, Index row1, Index first, Index length, const double* src, Index stride) {
  const Index lo = std::max(first, row0), hi = std::min(first + length, row1);
  if (lo >= hi) return;
  const Index n = row1 - row0;
  for (Index j = 0; j < B; ++j) {
    double* dst = acc + j * n + (lo - row0);
    const double* s = src + j * stride + (lo - first);
    for (Index t = 0; t < hi - lo; ++t) dst[t] += s[t];
  }
}

// Runs blocks of B tangent directions over chunks of the primal's samples.
class TangentEngine {
 public:
  TangentEngine(const SequentialNet& net, const double* params, const Primal& primal)
      : net_(net), params_(params), primal_(primal), M_(net.param_count()), D_(net.depth()) {}

  // Adds the sums over samples [n0, n0 + S) (not divided) of the requested kinds' products with
  // the B directions V (B x M; nonzero only in layers [vfirst, vlast], tangents start at vfirst)
  // to acc[kind] (B x (row1 - row0)); the backward pass goes down to layer `stop`.
  // basis >= 0 says the directions are the unit vectors e_basis, ..., e_{basis+B-1} (all in layer
  // vfirst): their forward injection is then a copy, not a GEMM. V is still needed when the
  // backward goes below vfirst (rectangles), for the dW^T delta term.
  void run(const double* V, Index basis, Index B, Index vfirst, Index vlast, Index n0, Index S, Index stop, Index row0,
           Index row1, Kinds kinds, double* acc_h, double* acc_g, double* acc_r) {
    basis_ = basis;
    forward_tangents(V, B, vfirst, vlast, n0, S);
    if (kinds.h) backward(V, B, vfirst, vlast, n0, S, stop, row0, row1, true, true, acc_h);
    if (kinds.g) backward(V, B, vfirst, vlast, n0, S, stop, row0, row1, true, false, acc_g);
    if (kinds.r) backward(V, B, vfirst, vlast, n0, S, stop, row0, row1, false, true, acc_r);
  }

 private:
  bool in_v(Index i, Index vfirst, Index vlast) const { return net_.layer(i).has_params() && i >= vfirst && i <= vlast; }

  // t_[i] = d a_i / d eps along each direction, rows (j, n) -> j * S + n, when has_t_[i] (else
  // zero). The buffers are kept from run to run: reallocating them costs a first touch each time.
  void forward_tangents(const double* V, Index B, Index vfirst, Index vlast, Index n0, Index S) {
    t_.resize(size_t(D_ + 1));
    has_t_.assign(size_t(D_ + 1), false);
    for (Index i = vfirst; i < D_; ++i) {
      const Layer& L = net_.layer(i);
      const bool has_in = has_t_[size_t(i)], inject = in_v(i, vfirst, vlast);
      if (!has_in && !inject) continue;
      const Index is = L.in.size(), os = L.out.size(), R = B * S;
      auto& out = t_[size_t(i + 1)];
      // Every kind overwrites its output except a parameter layer's injection alone (it adds).
      if (has_in) out.resize(size_t(R * os));
      else out.assign(size_t(R * os), 0.0);
      has_t_[size_t(i + 1)] = true;
      const double* tin = has_in ? t_[size_t(i)].data() : nullptr;
      const double* a = primal_.a(net_, i, n0);
      switch (L.spec.kind) {
        case LayerKind::Conv2d:
        case LayerKind::Linear:
          if (has_in) seq::apply_weights(L, params_ + L.weight_offset, tin, R, out.data(), scratch_);
          if (inject && basis_ >= 0) inject_basis(L, B, a, S, out.data());
          else if (inject) inject_forward(L, V, B, a, S, out.data());
          break;
        case LayerKind::MaxPool2d: {
          const std::int32_t* arg = primal_.arg(net_, i, n0);
          for (Index j = 0; j < B; ++j)
            for (Index n = 0; n < S; ++n) {
              const double* src = tin + (j * S + n) * is;
              double* dst = out.data() + (j * S + n) * os;
              for (Index o = 0; o < os; ++o) dst[o] = src[arg[n * os + o]];
            }
          break;
        }
        case LayerKind::Flatten:
        case LayerKind::Identity: std::copy(tin, tin + R * is, out.data()); break;
        default: {
          const Activation act = activation_of(L.spec.kind);
          d1_.resize(size_t(S * is));
          for (Index e = 0; e < S * is; ++e) d1_[size_t(e)] = act_d1(act, a[e]);
          for (Index j = 0; j < B; ++j)
            for (Index e = 0; e < S * is; ++e) out[size_t(j * S * is + e)] = d1_[size_t(e)] * tin[j * S * is + e];
        }
      }
    }
  }

  // inject_forward for V_j = e_{basis + j}: the tangent of output channel c is one patch column
  // (a weight) or all ones (a bias).
  void inject_basis(const Layer& L, Index B, const double* a, Index S, double* out) {
    const Index P = L.gemm_positions(), K = L.gemm_patch(), os = L.out.size();
    const double* cols = patches(L, a, S, cols_);
    for (Index j = 0; j < B; ++j) {
      const Index e = basis_ + j - L.weight_offset;
      const bool weight = e < L.weight_size;
      const Index c = weight ? e / K : e - L.weight_size, kk = weight ? e % K : 0;
      for (Index n = 0; n < S; ++n) {
        double* o = out + (j * S + n) * os + c * P;
        if (weight)
          for (Index p = 0; p < P; ++p) o[p] += cols[(n * P + p) * K + kk];
        else
          for (Index p = 0; p < P; ++p) o[p] += 1.0;
      }
    }
  }

  // out[(j, n)] += V_j's weights applied to sample n's input + V_j's bias.
  void inject_forward(const Layer& L, const double* V, Index B, const double* a, Index S, double* out) {
    const Index P = L.gemm_positions(), K = L.gemm_patch(), C = L.gemm_channels(), os = L.out.size();
    const double* cols = patches(L, a, S, cols_);
    vcat_.resize(size_t(B * C * K));  // (j, c) x K: direction j's weight slice
    for (Index j = 0; j < B; ++j) std::copy(V + j * M_ + L.weight_offset, V + j * M_ + L.weight_offset + C * K, vcat_.data() + j * C * K);
    y_.resize(size_t(S * P * B * C));
    // Y = cols (S*P x K) * vcat^T (K x B*C)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S * P, B * C, K, 1.0, cols, K, vcat_.data(), K, 0.0, y_.data(), B * C);
    for (Index j = 0; j < B; ++j) {
      const double* vb = L.bias_size > 0 ? V + j * M_ + L.bias_offset : nullptr;
      for (Index n = 0; n < S; ++n) {
        double* o = out + (j * S + n) * os;
        for (Index c = 0; c < C; ++c) {
          const double b = vb ? vb[c] : 0.0;
          for (Index p = 0; p < P; ++p) o[c * P + p] += y_[size_t(((n * P + p) * B + j) * C + c)] + b;
        }
      }
    }
  }

  // The backward pass of the tangents for one kind: `output` seeds delta' = H_l f' (H, G);
  // `second` adds the network's second-order terms (H, R).
  void backward(const double* V, Index B, Index vfirst, Index vlast, Index n0, Index S, Index stop, Index row0,
                Index row1, bool output, bool second, double* acc) {
    const Index k = net_.outputs(), R = B * S;
    d_.assign(size_t(R * k), 0.0);
    if (output) {
      const double* f = t_[size_t(D_)].data();
      for (Index j = 0; j < B; ++j)
        for (Index n = 0; n < S; ++n) {
          const double* h = primal_.hess.data() + (n0 + n) * k * k;
          const double* x = f + (j * S + n) * k;
          double* y = d_.data() + (j * S + n) * k;
          for (Index a = 0; a < k; ++a) {
            double s = 0;
            for (Index b = 0; b < k; ++b) s += h[a * k + b] * x[b];
            y[a] = s;
          }
        }
    }
    for (Index i = D_ - 1; i >= stop; --i) {
      const Layer& L = net_.layer(i);
      const bool has_t = has_t_[size_t(i)];
      if (L.has_params() && L.weight_offset < row1 && L.bias_offset + L.bias_size > row0)
        accumulate(L, i, B, n0, S, row0, row1, second && has_t, acc);
      if (i == stop) break;
      const Index is = L.in.size(), os = L.out.size();
      // Only max-pool scatters (adds) into dn_; every other kind overwrites it.
      if (L.spec.kind == LayerKind::MaxPool2d) dn_.assign(size_t(R * is), 0.0);
      else dn_.resize(size_t(R * is));
      const double* a = primal_.a(net_, i, n0);
      switch (L.spec.kind) {
        case LayerKind::Conv2d:
        case LayerKind::Linear:
          seq::apply_weights_transposed(L, params_ + L.weight_offset, d_.data(), R, dn_.data(), scratch_);
          if (second && in_v(i, vfirst, vlast)) weights_transposed_delta(L, V, B, n0, S, i);
          break;
        case LayerKind::MaxPool2d: {
          const std::int32_t* arg = primal_.arg(net_, i, n0);
          for (Index j = 0; j < B; ++j)
            for (Index n = 0; n < S; ++n) {
              const double* src = d_.data() + (j * S + n) * os;
              double* dst = dn_.data() + (j * S + n) * is;
              for (Index o = 0; o < os; ++o) dst[arg[n * os + o]] += src[o];
            }
          break;
        }
        case LayerKind::Flatten:
        case LayerKind::Identity: std::copy(d_.begin(), d_.end(), dn_.begin()); break;
        default: {
          const Activation act = activation_of(L.spec.kind);
          d1_.resize(size_t(S * is));
          for (Index e = 0; e < S * is; ++e) d1_[size_t(e)] = act_d1(act, a[e]);
          for (Index j = 0; j < B; ++j)
            for (Index e = 0; e < S * is; ++e) dn_[size_t(j * S * is + e)] = d1_[size_t(e)] * d_[size_t(j * S * is + e)];
          if (second && has_t && L.spec.kind != LayerKind::Relu) {
            // act''(z) z' delta: the activation's own curvature (zero for ReLU).
            const double* dl = primal_.delta(net_, i + 1, n0);
            const double* tz = t_[size_t(i)].data();
            for (Index e = 0; e < S * is; ++e) d1_[size_t(e)] = act_d2(act, a[e]) * dl[e];
            for (Index j = 0; j < B; ++j)
              for (Index e = 0; e < S * is; ++e) dn_[size_t(j * S * is + e)] += d1_[size_t(e)] * tz[j * S * is + e];
          }
        }
      }
      d_.swap(dn_);
    }
  }

  // The primal error at layer i's output as (sample, position) x channel rows (S*P x C).
  const double* primal_delta_positions(const Layer& L, Index i, Index n0, Index S) {
    const double* dl = primal_.delta(net_, i + 1, n0);
    if (L.spec.kind != LayerKind::Conv2d) return dl;  // linear: already S x C
    dtp_.resize(size_t(S * L.positions() * L.out.c));
    seq::chw_to_positions(L, dl, S, dtp_.data());
    return dtp_.data();
  }

  // dn_ += V_j^T delta (the weight direction's transpose applied to the primal error), for all j.
  void weights_transposed_delta(const Layer& L, const double* V, Index B, Index n0, Index S, Index i) {
    const Index P = L.gemm_positions(), K = L.gemm_patch(), C = L.gemm_channels(), is = L.in.size();
    const double* dt = primal_delta_positions(L, i, n0, S);
    vcat_.resize(size_t(C * B * K));  // c x (j, K)
    for (Index j = 0; j < B; ++j)
      for (Index c = 0; c < C; ++c) {
        const double* src = V + j * M_ + L.weight_offset + c * K;
        std::copy(src, src + K, vcat_.data() + (c * B + j) * K);
      }
    y_.resize(size_t(S * P * B * K));
    // Y = dt (S*P x C) * vcat (C x B*K)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S * P, B * K, C, 1.0, dt, C, vcat_.data(), B * K, 0.0, y_.data(), B * K);
    if (L.spec.kind == LayerKind::Linear) {
      for (Index j = 0; j < B; ++j)
        for (Index n = 0; n < S; ++n) {
          double* dst = dn_.data() + (j * S + n) * is;
          const double* src = y_.data() + (n * B + j) * K;
          for (Index c = 0; c < K; ++c) dst[c] += src[c];
        }
      return;
    }
    // Regroup to im2row order ((j, n, p) x K) and scatter back to the input positions.
    perm_.resize(size_t(B * S * P * K));
    for (Index n = 0; n < S; ++n)
      for (Index p = 0; p < P; ++p)
        for (Index j = 0; j < B; ++j)
          std::copy(y_.data() + ((n * P + p) * B + j) * K, y_.data() + ((n * P + p) * B + j + 1) * K,
                    perm_.data() + ((j * S + n) * P + p) * K);
    seq::row2im_add(L, perm_.data(), B * S, dn_.data());
  }

  // acc_j += (parameter-gradient tangent of layer i along direction j) summed over the chunk:
  //   delta'_j a^T  (+ delta a'_j^T when `second` and a' is nonzero), bias: sum of delta'_j.
  void accumulate(const Layer& L, Index i, Index B, Index n0, Index S, Index row0, Index row1, bool second, double* acc) {
    const Index P = L.gemm_positions(), K = L.gemm_patch(), C = L.gemm_channels(), os = L.out.size();
    const double* a = primal_.a(net_, i, n0);
    const double* cols = patches(L, a, S, cols_);
    // Dw ((n, p) x (j, c)) from d_ ((j, n) x (c, p)).
    dw_.resize(size_t(S * P * B * C));
    for (Index j = 0; j < B; ++j)
      for (Index n = 0; n < S; ++n) {
        const double* src = d_.data() + (j * S + n) * os;
        for (Index c = 0; c < C; ++c)
          for (Index p = 0; p < P; ++p) dw_[size_t(((n * P + p) * B + j) * C + c)] = src[c * P + p];
      }
    g_.resize(size_t(B * C * K));
    // G1 = Dw^T (B*C x S*P) * cols (S*P x K)
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, B * C, K, S * P, 1.0, dw_.data(), B * C, cols, K, 0.0, g_.data(), K);
    add_rows(acc, B, row0, row1, L.weight_offset, C * K, g_.data(), C * K);
    if (L.bias_size > 0) {
      gb_.assign(size_t(B * C), 0.0);
      for (Index t = 0; t < S * P; ++t)
        for (Index e = 0; e < B * C; ++e) gb_[size_t(e)] += dw_[size_t(t * B * C + e)];
      add_rows(acc, B, row0, row1, L.bias_offset, C, gb_.data(), C);
    }
    if (!second) return;
    // G2 = dt^T (C x S*P) * Tw (S*P x (j, K)), Tw = the patches of a'_j per (sample, position).
    const double* dt = primal_delta_positions(L, i, n0, S);
    const double* tc = patches(L, t_[size_t(i)].data(), B * S, tcols_);  // ((j, n, p) x K)
    perm_.resize(size_t(S * P * B * K));
    for (Index j = 0; j < B; ++j)
      for (Index n = 0; n < S; ++n)
        for (Index p = 0; p < P; ++p)
          std::copy(tc + ((j * S + n) * P + p) * K, tc + ((j * S + n) * P + p + 1) * K,
                    perm_.data() + ((n * P + p) * B + j) * K);
    g2_.resize(size_t(C * B * K));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, B * K, S * P, 1.0, dt, C, perm_.data(), B * K, 0.0, g2_.data(), B * K);
    for (Index c = 0; c < C; ++c) add_rows(acc, B, row0, row1, L.weight_offset + c * K, K, g2_.data() + c * B * K, K);
  }

  const SequentialNet& net_;
  const double* params_;
  const Primal& primal_;
  const Index M_, D_;
  Index basis_ = -1;
  std::vector<std::vector<double>> t_;
  std::vector<bool> has_t_;
  std::vector<double> d_, dn_, d1_, scratch_, cols_, tcols_, vcat_, y_, dw_, dtp_, perm_, g_, g2_, gb_;
};

Index first_param_layer(const SequentialNet& net) {
  Index i = 0;
  while (!net.layer(i).has_params()) ++i;
  return i;
}
Index last_param_layer(const SequentialNet& net) {
  Index i = net.depth() - 1;
  while (!net.layer(i).has_params()) --i;
  return i;
}

// Block and chunk sizes for tangents starting at layer q: B directions x S samples per run.
void block_shape(const SequentialNet& net, Index q, Index columns, Index N, double budget, bool below, Index& B, Index& S) {
  const Index most = std::max<Index>(1, std::min<Index>(kMaxBlock, columns));
  const double rows = std::max(1.0, std::floor(budget / (8.0 * doubles_per_row(net, q, below, most))));
  B = std::max<Index>(1, std::min<Index>(most, static_cast<Index>(rows)));
  S = std::max<Index>(1, std::min<Index>(N, static_cast<Index>(rows / double(B))));
}

void gradient_covariance(const SequentialNet& net, const SeqPass& pass, const Rect& rect, const BlockSink& sink,
                         int threads, const Control& control) {
  const Index N = pass.rows, M = net.param_count();
  control.report("gradient covariance", 0.0);
  const std::vector<double> G = seq_per_sample_gradients(net, pass);
  control.check();
  const double scale = 1.0 / double(N);
  const Index nc = rect.cols(), kRows = budget::kCovarianceRows;
  std::vector<std::vector<double>> tmp(static_cast<size_t>(threads));
  Progress progress(control, "gradient covariance", double(rect.rows()));
  // Row blocks are independent single-threaded GEMMs: C[rows, cols] = (1/N) G[:, rows]^T G[:, cols]
  parallel_for((rect.rows() + kRows - 1) / kRows, threads, &control, [&](Index task, int worker) {
    const Index r0 = rect.rb + task * kRows, nr = std::min(kRows, rect.re - r0);
    double* out = sink.f64 ? sink.f64 + (r0 - rect.rb) * sink.ld : nullptr;
    Index ld = sink.ld;
    std::vector<double>& t = tmp[static_cast<size_t>(worker)];
    if (!out) {
      t.resize(size_t(nr * nc));
      out = t.data();
      ld = nc;
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nr, nc, N, scale, G.data() + r0, M, G.data() + rect.cb, M, 0.0,
                out, ld);
    if (!sink.f64)
      for (Index r = 0; r < nr; ++r)
        for (Index c = 0; c < nc; ++c) sink.f32[(r0 - rect.rb + r) * sink.ld + c] = static_cast<float>(t[size_t(r * nc + c)]);
    progress.add(double(nr));
  });
}

}  // namespace

MlpTail mlp_tail(const SequentialNet& net) {
  MlpTail tail;
  Index i = net.depth() - 1;
  if (net.layer(i).spec.kind != LayerKind::Linear) return tail;
  const bool bias = net.layer(i).spec.bias;
  int gap_kind = -1;  // the activation between linear layers: -2 none, else its LayerKind
  std::vector<Index> sizes{net.layer(i).out.size()};
  Index first = i;
  for (;;) {
    sizes.push_back(net.layer(first).in.size());
    Index j = first - 1;
    int kind = -2;
    if (j >= 0 && (net.layer(j).spec.kind == LayerKind::Relu || net.layer(j).spec.kind == LayerKind::Tanh ||
                   net.layer(j).spec.kind == LayerKind::Sigmoid)) {
      kind = static_cast<int>(net.layer(j).spec.kind);
      --j;
    }
    if (j < 0 || net.layer(j).spec.kind != LayerKind::Linear || net.layer(j).spec.bias != bias) break;
    if (gap_kind != -1 && kind != gap_kind) break;
    gap_kind = kind;
    first = j;
  }
  tail.first = first;
  tail.t0 = net.layer(first).weight_offset;
  tail.spec.layers.assign(sizes.rbegin(), sizes.rend());
  tail.spec.activation = gap_kind >= 0 ? activation_of(static_cast<LayerKind>(gap_kind)) : Activation::Linear;
  tail.spec.loss = net.loss();
  tail.spec.bias = bias;
  return tail;
}

Index mlp_tail_begin(const SequentialNet& net) {
  const MlpTail tail = mlp_tail(net);
  return tail.first >= 0 ? tail.t0 : net.param_count();
}

double assembly_workspace_bytes(const SequentialNet& net, Index N, const std::vector<CurvatureKind>& kinds, int threads) {
  double per_sample = 0;
  for (Index i = 0; i <= net.depth(); ++i) per_sample += 2.0 * double(net.size(i));
  const double k = double(net.outputs());
  double bytes = 8.0 * double(N) * (per_sample + k * k);
  bool tangent = false;
  for (auto kind : kinds) {
    if (kind == CurvatureKind::GradientCovariance) bytes += 8.0 * double(N) * double(net.param_count());
    else tangent = true;
  }
  const int T = resolve_threads(threads);
  if (tangent) bytes += double(T) * (budget::kTangentBytes + 4.0 * 8.0 * double(kMaxBlock) * double(net.param_count()));
  const MlpTail tail = mlp_tail(net);
  if (tangent && tail.first >= 0) bytes += assembly_workspace_bytes(tail.spec, N, kinds, threads);
  bytes += conv_slabs_workspace_bytes(net, N, kinds, threads);
  return bytes;
}

void assemble_curvature(const SequentialNet& net, const double* params, const DataView& data,
                        const CurvatureRequest& req, const std::vector<BlockSink>& sinks, const Control& control) {
  const Index M = net.param_count(), N = data.N;
  const Rect rect = validate_request(req, sinks, M);
  if (conv_slabs_take(net, req, rect)) return assemble_conv_slabs(net, params, data, req, sinks, control);
  const int T = resolve_threads(req.threads);
  const Index rb = rect.rb, re = rect.re, cb = rect.cb, ce = rect.ce;
  const KindSlots ks = kind_slots(req.kinds);
  Kinds kinds;
  kinds.h = ks.has(CurvatureKind::Hessian);
  kinds.g = ks.has(CurvatureKind::GaussNewton);
  kinds.r = ks.has(CurvatureKind::Residual);
  const int slot[3] = {ks.of(CurvatureKind::Hessian), ks.of(CurvatureKind::GaussNewton), ks.of(CurvatureKind::Residual)};
  const bool symmetric = rect.diagonal();
  control.report("assembly", 0.0);
  const Primal primal = primal_pass(net, params, data, nullptr, N, kinds.h || kinds.g, data.y);
  control.check();
  if (ks.has(CurvatureKind::GradientCovariance))
    gradient_covariance(net, primal.pass, rect, sinks[size_t(ks.of(CurvatureKind::GradientCovariance))], T, control);
  if (!(kinds.h || kinds.g || kinds.r)) return;

  // The block of the MLP tail's own parameters (rows and columns >= t0) by its unit slabs.
  const MlpTail tail = req.r_operator_only ? MlpTail{} : mlp_tail(net);
  const Index t0 = tail.first >= 0 ? tail.t0 : M;
  if (t0 < M && re > t0 && ce > t0) {
    CurvatureRequest sub;
    std::vector<BlockSink> sub_sinks;
    const Index r0 = std::max(rb, t0), c0 = std::max(cb, t0);
    for (size_t t = 0; t < req.kinds.size(); ++t) {
      if (req.kinds[t] == CurvatureKind::GradientCovariance) continue;  // done above, whole rectangle
      sub.kinds.push_back(req.kinds[t]);
      sub_sinks.push_back(sub_sink(sinks[t], r0 - rb, c0 - cb));
    }
    sub.row_begin = r0 - t0;
    sub.row_end = re - t0;
    sub.col_begin = c0 - t0;
    sub.col_end = ce - t0;
    sub.threads = T;
    const DataView tail_data{primal.pass.a[size_t(tail.first)].data(), data.y, N};
    Control quiet = control;
    quiet.progress = nullptr;
    control.report("assembly", 0.0);
    assemble_curvature(tail.spec, params + t0, tail_data, sub, sub_sinks, quiet);
  }

  // Column blocks: B columns of one layer q each, B x S (vector, sample) rows per run. The shape
  // comes from the per-worker budget alone, so the numbers do not depend on the thread count.
  struct Block { Index c0, B, S, q; };
  std::vector<Block> blocks;
  for (Index c0 = cb; c0 < ce;) {
    const Index q = net.layer_of(c0);
    Index B = 0, S = 0;
    block_shape(net, q, std::min(ce, net.layer(q).param_end()) - c0, N, budget::kTangentBytes,
                !symmetric && net.layer_of(rb) < q, B, S);
    if (!(symmetric && c0 >= t0)) blocks.push_back({c0, B, S, q});  // (a tail column's rows are all the tail's)
    c0 += B;
  }
  // Blocks are independent: each worker takes the next one with its own engine and accumulators,
  // BLAS single-threaded inside (threads.h). Writes go to disjoint sink entries (a block's
  // columns, or in the symmetric case its rows).
  struct WorkerState {
    std::unique_ptr<TangentEngine> engine;
    std::vector<double> V, acc[3];
  };
  std::vector<WorkerState> states(static_cast<size_t>(T));
  Progress progress(control, "assembly", double(ce - cb));
  const double scale = 1.0 / double(N);
  parallel_for(static_cast<Index>(blocks.size()), T, &control, [&](Index b, int worker) {
    WorkerState& st = states[static_cast<size_t>(worker)];
    if (!st.engine) st.engine = std::make_unique<TangentEngine>(net, params, primal);
    const Index c0 = blocks[size_t(b)].c0, B = blocks[size_t(b)].B, S = blocks[size_t(b)].S, q = blocks[size_t(b)].q;
    // Columns of the tail need only the rows before it (the tail's own block is done).
    const Index row0 = symmetric ? c0 : rb, row1 = c0 >= t0 ? std::min(re, t0) : re, nrows = row1 - row0;
    if (nrows <= 0) {
      progress.add(double(B));
      return;
    }
    // The backward pass goes down to the lowest layer holding rows (rows after the block's layer
    // need nothing below them).
    const Index stop = symmetric ? q : net.layer_of(rb);
    const bool needs_v = stop < q;  // the dW^T delta term below the block's layer
    if (needs_v) {
      st.V.assign(size_t(B * M), 0.0);
      for (Index j = 0; j < B; ++j) st.V[size_t(j * M + c0 + j)] = 1.0;
    }
    for (int s = 0; s < 3; ++s)
      if (slot[s] >= 0) st.acc[s].assign(size_t(B * nrows), 0.0);
    for (Index n0 = 0; n0 < N; n0 += S) {
      control.check();
      st.engine->run(needs_v ? st.V.data() : nullptr, c0, B, q, q, n0, std::min(S, N - n0), stop, row0, row1, kinds,
                     st.acc[0].data(), st.acc[1].data(), st.acc[2].data());
    }
    for (int s = 0; s < 3; ++s) {
      if (slot[s] < 0) continue;
      const BlockSink& sink = sinks[size_t(slot[s])];
      const double* a = st.acc[s].data();
      if (symmetric) {
        // Row c of the upper triangle is column c of the block, contiguous: one streaming
        // copy. The lower triangle is mirrored once at the end (mirror_upper).
        for (Index j = 0; j < B; ++j) {
          const Index c = c0 + j;
          const double* src = a + j * nrows + (c - row0);
          const Index n = row1 - c, at = (c - rb) * sink.ld + (c - cb);
          if (sink.f64)
            for (Index t = 0; t < n; ++t) sink.f64[at + t] = src[t] * scale;
          else
            for (Index t = 0; t < n; ++t) sink.f32[at + t] = static_cast<float>(src[t] * scale);
        }
      } else {
        // Rows outer, the block's columns inner: B consecutive entries of each sink row.
        for (Index r = row0; r < row1; ++r)
          for (Index j = 0; j < B; ++j) put(sink, r - rb, c0 + j - cb, a[j * nrows + (r - row0)] * scale);
      }
    }
    progress.add(double(B));
  });
  if (symmetric)
    for (int s = 0; s < 3; ++s)
      if (slot[s] >= 0) mirror_upper(sinks[size_t(slot[s])], re - rb);
}

double products_workspace_bytes(const SequentialNet& net, Index B, Index k) {
  double per_sample = 0;
  for (Index i = 0; i <= net.depth(); ++i) per_sample += 2.0 * double(net.size(i));
  const double K = double(net.outputs());
  const double block = double(std::min<Index>(k, kMaxBlock));
  return 8.0 * double(B) * (per_sample + K * K + double(net.inputs())) + budget::kProductChunkBytes +
         8.0 * block * double(net.param_count());
}

void curvature_products(const SequentialNet& net, const double* params, const DataView& data,
                        const ProductRequest& req, const double* V, Index k, double* out, const Control& control) {
  const Index M = net.param_count();
  validate_products(req, V, k, out, M);
  const SampleBatch batch = gather_samples(data, net.inputs(), req.samples, req.sample_count);
  const Index count = batch.view.N;
  // One pass over the vectors: its GEMMs are split by OpenBLAS's own threads (threads.h).
  BlasThreads blas(resolve_threads(req.threads), &control);
  control.report("products", 0.0);
  const Primal primal = primal_pass(net, params, batch.view, nullptr, count, true, batch.view.y);
  control.check();
  TangentEngine engine(net, params, primal);
  const Index first = first_param_layer(net), last = last_param_layer(net);
  Kinds kinds;
  if (req.kind == ProductKind::Hessian) kinds.h = true;
  else kinds.g = true;
  const double scale = 1.0 / double(count);
  std::vector<double> acc;
  for (Index v0 = 0; v0 < k;) {
    Index B = 0, S = 0;
    block_shape(net, first, k - v0, count, budget::kProductChunkBytes, false, B, S);
    acc.assign(size_t(B * M), 0.0);
    for (Index n0 = 0; n0 < count; n0 += S) {
      control.check();
      engine.run(V + v0 * M, -1, B, first, last, n0, std::min(S, count - n0), first, 0, M, kinds, acc.data(), acc.data(), nullptr);
    }
    for (Index t = 0; t < B * M; ++t) out[v0 * M + t] = acc[size_t(t)] * scale;
    v0 += B;
    control.report("products", double(v0) / double(k));
  }
}

}  // namespace hl
