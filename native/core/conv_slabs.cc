#include "conv_slabs.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>

#include "activation.h"
#include "errors.h"
#include "sequential_curvature.h"
#include "threads.h"

namespace hl {

namespace {

using Layer = SequentialNet::Layer;

// Gram output tiles (columns per task) and samples per backward task: fixed, so that results do
// not depend on the thread count.
constexpr Index kGramTile = 256;
constexpr Index kSampleGroup = 8;

// f is piecewise linear in z_q (so R_qq = 0) when no activation after layer q has a second derivative.
bool piecewise_linear_after(const SequentialNet& net, Index q) {
  for (Index i = q + 1; i < net.depth(); ++i) {
    const LayerKind k = net.layer(i).spec.kind;
    if (k == LayerKind::Tanh || k == LayerKind::Sigmoid) return false;
  }
  return true;
}

bool tangent_kind(CurvatureKind k) { return k != CurvatureKind::GradientCovariance; }

// Per sample, L_n (k x k, row-major) with L_n L_n^T = H_l,n: the eigenvectors scaled by the
// square roots of the eigenvalues (the loss is convex in f, so they are >= 0 up to rounding,
// which is clipped).
std::vector<double> output_hessian_roots(const SequentialNet& net, const SeqPass& pass, const std::int32_t* labels,
                                         int threads) {
  const Index N = pass.rows, k = net.outputs();
  std::vector<double> roots(size_t(N * k * k));
  const double* F = pass.a[size_t(net.depth())].data();
  parallel_ranges(N, threads, 64, [&](Index n0, Index n1, int) {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> h(k, k);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    for (Index n = n0; n < n1; ++n) {
      sample_loss(net.loss(), F + n * k, k, labels[n], nullptr, h.data());
      eig.compute(h);
      double* L = roots.data() + n * k * k;
      for (Index a = 0; a < k; ++a)
        for (Index j = 0; j < k; ++j)
          L[a * k + j] = eig.eigenvectors()(a, j) * std::sqrt(std::max(0.0, eig.eigenvalues()(j)));
    }
  });
  return roots;
}

// One worker's buffers for the backward of the k root vectors of a group of samples.
struct GroupBuffers {
  std::vector<double> d, dn, scratch, cols;
};

// Rows (n, j) of A (ns*k rows of M_q = weights then biases of layer q) for samples
// [n0, n0 + ns): L_{n}[:, j]^T J_q,n, i.e. the root vector backpropagated from the output to
// z_q, contracted with the layer's patches over positions.
void jacobian_rows(const SequentialNet& net, const double* params, const SeqPass& pass, const std::vector<double>& roots,
                   Index q, Index n0, Index ns, double* A, GroupBuffers& b) {
  const Index k = net.outputs(), R = ns * k, D = net.depth();
  b.d.resize(size_t(R * k));
  for (Index n = 0; n < ns; ++n)
    for (Index j = 0; j < k; ++j)
      for (Index a = 0; a < k; ++a) b.d[size_t((n * k + j) * k + a)] = roots[size_t((n0 + n) * k * k + a * k + j)];
  for (Index i = D - 1; i > q; --i) {
    const Layer& L = net.layer(i);
    const Index is = L.in.size(), os = L.out.size();
    b.dn.assign(size_t(R * is), 0.0);
    switch (L.spec.kind) {
      case LayerKind::Conv2d:
      case LayerKind::Linear:
        seq::apply_weights_transposed(L, params + L.weight_offset, b.d.data(), R, b.dn.data(), b.scratch);
        break;
      case LayerKind::MaxPool2d: {
        for (Index n = 0; n < ns; ++n) {
          const std::int32_t* arg = pass.pool[size_t(i)].data() + (n0 + n) * os;
          for (Index j = 0; j < k; ++j) {
            const double* src = b.d.data() + (n * k + j) * os;
            double* dst = b.dn.data() + (n * k + j) * is;
            for (Index o = 0; o < os; ++o) dst[arg[o]] += src[o];
          }
        }
        break;
      }
      case LayerKind::Flatten:
      case LayerKind::Identity: std::copy(b.d.begin(), b.d.begin() + R * is, b.dn.begin()); break;
      default: {
        const Activation act = activation_of(L.spec.kind);
        for (Index n = 0; n < ns; ++n) {
          const double* z = pass.a[size_t(i)].data() + (n0 + n) * is;
          for (Index j = 0; j < k; ++j) {
            const double* src = b.d.data() + (n * k + j) * is;
            double* dst = b.dn.data() + (n * k + j) * is;
            for (Index e = 0; e < is; ++e) dst[e] = act_d1(act, z[e]) * src[e];
          }
        }
      }
    }
    b.d.swap(b.dn);
  }
  // b.d: rows (n, j) of d f / d z_q (CHW: channel-major, then position).
  const Layer& L = net.layer(q);
  const Index P = L.gemm_positions(), K = L.gemm_patch(), C = L.gemm_channels(), Mq = L.param_end() - L.weight_offset;
  const double* a = pass.a[size_t(q)].data() + n0 * L.in.size();
  const double* cols = a;
  if (L.spec.kind == LayerKind::Conv2d) {
    b.cols.resize(size_t(ns * P * K));
    seq::im2row(L, a, ns, b.cols.data());
    cols = b.cols.data();
  }
  for (Index n = 0; n < ns; ++n)
    for (Index j = 0; j < k; ++j) {
      const double* dz = b.d.data() + (n * k + j) * C * P;
      double* row = A + (n * k + j) * Mq;
      // J weights (C x K) = dz (C x P) * cols_n (P x K): the sum over positions.
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, K, P, 1.0, dz, P, cols + n * P * K, K, 0.0, row, K);
      if (L.bias_size > 0)
        for (Index c = 0; c < C; ++c) {
          double s = 0;
          for (Index p = 0; p < P; ++p) s += dz[c * P + p];
          row[C * K + c] = s;
        }
    }
}

// Samples per chunk of A for layer q: the chunk's rows fit budget::kTangentBytes.
Index chunk_samples(const SequentialNet& net, Index q, Index N) {
  const double per = 8.0 * double(net.outputs()) * double(net.layer(q).param_end() - net.layer(q).weight_offset);
  return std::max<Index>(1, std::min<Index>(N, static_cast<Index>(budget::kTangentBytes / per)));
}

// The Gram square of layer q's parameters [i0, i1): out (w x w, ld) = (1/N) sum_n A_n^T A_n,
// upper triangle and the diagonal tiles (the rest is left for the mirror).
void layer_gram(const SequentialNet& net, const double* params, const SeqPass& pass, const std::vector<double>& roots,
                Index q, Index i0, Index i1, double* out, Index ld, int threads, const Control& control,
                const std::function<void(double)>& done) {
  const Layer& L = net.layer(q);
  const Index N = pass.rows, k = net.outputs(), Mq = L.param_end() - L.weight_offset;
  const Index o = i0 - L.weight_offset, w = i1 - i0, S = chunk_samples(net, q, N);
  std::vector<double> A(size_t(S * k * Mq));
  std::vector<GroupBuffers> buffers(static_cast<size_t>(threads));
  const Index tiles = (w + kGramTile - 1) / kGramTile;
  for (Index n0 = 0; n0 < N; n0 += S) {
    const Index ns = std::min(S, N - n0);
    parallel_for((ns + kSampleGroup - 1) / kSampleGroup, threads, &control, [&](Index g, int worker) {
      const Index g0 = g * kSampleGroup, gn = std::min(kSampleGroup, ns - g0);
      jacobian_rows(net, params, pass, roots, q, n0 + g0, gn, A.data() + g0 * k * Mq, buffers[size_t(worker)]);
    });
    const double beta = n0 == 0 ? 0.0 : 1.0;
    parallel_for(tiles, threads, &control, [&](Index t, int) {
      const Index c0 = t * kGramTile, c1 = std::min(w, c0 + kGramTile);
      // Rows [0, c1) x columns [c0, c1): everything on and above the diagonal in these columns.
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c1, c1 - c0, ns * k, 1.0 / double(N), A.data() + o, Mq,
                  A.data() + o + c0, Mq, beta, out + c0, ld);
    });
    done(double(n0 + ns) / double(N));
  }
}

// Copies the rectangle rows [r0, r1) x columns [c0, c1) of a sink (local indices, r0 >= c1) to its
// transposed place, in tiles.
void mirror_rectangle(const BlockSink& s, Index r0, Index r1, Index c0, Index c1) {
  constexpr Index T = budget::kTransposeTile;
  for (Index rb = r0; rb < r1; rb += T)
    for (Index cb = c0; cb < c1; cb += T)
      for (Index c = cb; c < std::min(c1, cb + T); ++c)
        for (Index r = rb; r < std::min(r1, rb + T); ++r) {
          if (s.f64) s.f64[c * s.ld + r] = s.f64[r * s.ld + c];
          else s.f32[c * s.ld + r] = s.f32[r * s.ld + c];
        }
}

void fill_square(const BlockSink& s, Index at, Index w, double v) {
  for (Index r = 0; r < w; ++r)
    for (Index c = 0; c < w; ++c) put(s, at + r, at + c, v);
}

}  // namespace

bool conv_slabs_take(const SequentialNet& net, const CurvatureRequest& req, const Rect& rect) {
  if (req.r_operator_only || !rect.diagonal()) return false;
  if (std::none_of(req.kinds.begin(), req.kinds.end(), tangent_kind)) return false;
  return rect.rb < mlp_tail_begin(net);
}

double conv_slabs_workspace_bytes(const SequentialNet& net, Index N, const std::vector<CurvatureKind>& kinds, int threads) {
  if (std::none_of(kinds.begin(), kinds.end(), tangent_kind)) return 0;
  const Index k = net.outputs();
  double widest = 0, square = 0, group = 0;
  for (Index i = 0; i < net.depth(); ++i) {
    const Layer& L = net.layer(i);
    widest = std::max(widest, double(std::max(L.in.size(), L.out.size())));
    if (L.has_params()) {
      square = std::max(square, double(L.param_end() - L.weight_offset));
      group = std::max(group, double(L.gemm_positions() * L.gemm_patch() + 2 * L.in.size()));
    }
  }
  double pass = 0;
  for (Index i = 0; i <= net.depth(); ++i) pass += double(net.size(i));
  const double per_thread = double(kSampleGroup) * (3.0 * double(k) * widest + group);
  return budget::kTangentBytes + 8.0 * (double(N) * (pass + double(k * k)) + square * square +
                                        double(resolve_threads(threads)) * per_thread);
}

void assemble_conv_slabs(const SequentialNet& net, const double* params, const DataView& data,
                         const CurvatureRequest& req, const std::vector<BlockSink>& sinks, const Control& control) {
  const Index M = net.param_count(), N = data.N;
  const Rect rect = validate_request(req, sinks, M);
  const int T = resolve_threads(req.threads);
  const Index a = rect.rb, b = rect.re, t0 = std::max(a, mlp_tail_begin(net));
  const KindSlots ks = kind_slots(req.kinds);
  const int sh = ks.of(CurvatureKind::Hessian), sg = ks.of(CurvatureKind::GaussNewton), sr = ks.of(CurvatureKind::Residual);

  // The pre-tail parameter layers inside [a, b) with their ranges.
  struct Piece { Index q, i0, i1; bool flat; };
  std::vector<Piece> pieces;
  for (Index q = 0; q < net.depth(); ++q) {
    const Layer& L = net.layer(q);
    if (!L.has_params()) continue;
    const Index i0 = std::max(a, L.weight_offset), i1 = std::min({b, t0, L.param_end()});
    if (i0 < i1) pieces.push_back({q, i0, i1, piecewise_linear_after(net, q)});
  }
  // Progress: each piece's share is its count of output entries.
  const double tail = double(std::max<Index>(0, b - t0));
  double total = tail * tail / 2, done = 0;
  for (const Piece& p : pieces) total += double(p.i1 - p.i0) * (double(p.i1 - p.i0) / 2 + double(b - p.i1));
  auto share = [&](double entries) {
    const double lo = done / total, hi = (done + entries) / total;
    done += entries;
    Control sub = control;
    sub.progress = [&control, lo, hi](const std::string&, double f) { control.report("assembly", lo + (hi - lo) * f); };
    return sub;
  };
  control.report("assembly", 0.0);

  // Sub-requests of the R-operator module for `kinds` (a subset of the request's, in its order).
  auto run_sub = [&](const std::vector<CurvatureKind>& kinds, Index r0, Index r1, Index c0, Index c1, bool r_only,
                     const Control& sub_control) {
    CurvatureRequest sub;
    std::vector<BlockSink> sub_sinks;
    for (size_t t = 0; t < req.kinds.size(); ++t)
      if (std::find(kinds.begin(), kinds.end(), req.kinds[t]) != kinds.end()) {
        sub.kinds.push_back(req.kinds[t]);
        sub_sinks.push_back(sub_sink(sinks[t], r0 - a, c0 - a));
      }
    if (sub.kinds.empty()) return;
    sub.row_begin = r0;
    sub.row_end = r1;
    sub.col_begin = c0;
    sub.col_end = c1;
    sub.threads = T;
    sub.r_operator_only = r_only;
    assemble_curvature(net, params, data, sub, sub_sinks, sub_control);
  };
  std::vector<CurvatureKind> tangent_kinds;
  for (auto k : req.kinds)
    if (tangent_kind(k)) tangent_kinds.push_back(k);

  // 1. The pre-tail squares by the Gram (with the primal pass and the output Hessians' roots).
  const bool any_gram = sg >= 0 || std::any_of(pieces.begin(), pieces.end(), [&](const Piece& p) {
                          return p.flat && (sh >= 0 || sr >= 0);
                        });
  if (any_gram) {
    SeqPass pass;
    seq_forward(net, params, data, nullptr, N, false, pass);
    control.check();
    const std::vector<double> roots = output_hessian_roots(net, pass, data.y, T);
    std::vector<double> staging;
    for (const Piece& p : pieces) {
      const Index w = p.i1 - p.i0, at = p.i0 - a;
      std::vector<int> targets;  // sinks that receive the Gram
      if (sg >= 0) targets.push_back(sg);
      if (p.flat && sh >= 0) targets.push_back(sh);
      // R's own square is exactly zero where f is piecewise linear in z_q.
      if (p.flat && sr >= 0) fill_square(sinks[size_t(sr)], at, w, 0.0);
      if (targets.empty()) continue;
      const Control sub = share(double(w) * double(w) / 2);
      // The Gram goes straight into the first float64 target, else into a staging square.
      int direct = -1;
      for (int t : targets)
        if (direct < 0 && sinks[size_t(t)].f64) direct = t;
      double* out;
      Index ld;
      if (direct >= 0) {
        const BlockSink s = sub_sink(sinks[size_t(direct)], at, at);
        out = s.f64;
        ld = s.ld;
      } else {
        staging.resize(size_t(w * w));
        out = staging.data();
        ld = w;
      }
      layer_gram(net, params, pass, roots, p.q, p.i0, p.i1, out, ld, T, control,
                 [&](double f) { sub.report("assembly", f); });
      BlockSink from;
      from.f64 = out;
      from.ld = ld;
      mirror_upper(from, w);
      for (int t : targets) {
        if (t == direct) continue;
        const BlockSink s = sub_sink(sinks[size_t(t)], at, at);
        for (Index r = 0; r < w; ++r)
          for (Index c = 0; c < w; ++c) put(s, r, c, out[r * ld + c]);
      }
    }
  }
  // 2. Squares whose H and R need the R-operator (an activation with curvature after the layer).
  for (const Piece& p : pieces) {
    std::vector<CurvatureKind> kinds;
    if (!p.flat && sh >= 0) kinds.push_back(CurvatureKind::Hessian);
    if (!p.flat && sr >= 0) kinds.push_back(CurvatureKind::Residual);
    if (kinds.empty()) continue;
    const Index w = p.i1 - p.i0;
    run_sub(kinds, p.i0, p.i1, p.i0, p.i1, true, share(double(w) * double(w) / 2));
  }
  // 3. Below each square, its columns' rectangle down to b, mirrored into the upper part.
  for (const Piece& p : pieces) {
    const Index r0 = net.layer(p.q).param_end();
    if (r0 >= b) continue;
    run_sub(tangent_kinds, r0, b, p.i0, p.i1, false, share(double(p.i1 - p.i0) * double(b - r0)));
    for (size_t t = 0; t < req.kinds.size(); ++t)
      if (tangent_kind(req.kinds[t])) mirror_rectangle(sinks[t], r0 - a, b - a, p.i0 - a, p.i1 - a);
  }
  // 4. The MLP tail's square by its unit slabs.
  if (t0 < b) run_sub(tangent_kinds, t0, b, t0, b, false, share(tail * tail / 2));
  // 5. The gradient covariance of the whole square.
  if (ks.has(CurvatureKind::GradientCovariance)) {
    Control quiet = control;
    quiet.progress = nullptr;
    run_sub({CurvatureKind::GradientCovariance}, a, b, a, b, true, quiet);
  }
  control.report("assembly", 1.0);
}

}  // namespace hl
