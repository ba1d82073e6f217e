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

// Backpropagates b.d, `per` vectors per sample for samples [n0, n0 + ns) (rows (n, j)) at the
// activation a_from, down to a_to (to < from): through each layer's transpose (parameters fixed).
void backward_rows(const SequentialNet& net, const double* params, const SeqPass& pass, Index from, Index to,
                   Index n0, Index ns, Index per, GroupBuffers& b) {
  const Index R = ns * per;
  for (Index i = from - 1; i >= to; --i) {
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
          for (Index j = 0; j < per; ++j) {
            const double* src = b.d.data() + (n * per + j) * os;
            double* dst = b.dn.data() + (n * per + j) * is;
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
          for (Index j = 0; j < per; ++j) {
            const double* src = b.d.data() + (n * per + j) * is;
            double* dst = b.dn.data() + (n * per + j) * is;
            for (Index e = 0; e < is; ++e) dst[e] = act_d1(act, z[e]) * src[e];
          }
        }
      }
    }
    b.d.swap(b.dn);
  }
}

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
  backward_rows(net, params, pass, D, q + 1, n0, ns, k, b);
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

// ---- The MLP-tail rows x the columns of the last parameter layer before the tail ----

// The last parameter layer before the MLP tail, whose output reaches the tail's input x = a_first
// through max-pools, activations, flatten and identity only; -1 when there is no tail (or no such
// layer).
Index last_pre_tail_layer(const SequentialNet& net, const MlpTail& tail) {
  if (tail.first < 0) return -1;
  for (Index q = tail.first - 1; q >= 0; --q)
    if (net.layer(q).has_params()) return q;
  return -1;
}

// The parameter layer before layer q, or -1.
Index previous_param_layer(const SequentialNet& net, Index q) {
  for (Index i = q - 1; i >= 0; --i)
    if (net.layer(i).has_params()) return i;
  return -1;
}

// The input entry under row k of layer L's patch at position p (entry[k * P + p]; -1: padding).
std::vector<Index> patch_entries(const Layer& L) {
  const Index K = L.gemm_patch(), P = L.gemm_positions();
  std::vector<Index> entry(size_t(K * P));
  for (Index k = 0; k < K; ++k)
    for (Index p = 0; p < P; ++p) {
      Index e = k;
      if (L.spec.kind == LayerKind::Conv2d) {
        const Index kh = L.spec.kh, kw = L.spec.kw, c = k / (kh * kw), i = (k / kw) % kh, j = k % kw;
        const Index y = (p / L.out.w) * L.spec.sh - L.spec.ph + i, x = (p % L.out.w) * L.spec.sw - L.spec.pw + j;
        e = y >= 0 && y < L.in.h && x >= 0 && x < L.in.w ? (c * L.in.h + y) * L.in.w + x : -1;
      }
      entry[size_t(k * P + p)] = e;
    }
  return entry;
}

// How x reaches z_q (the output of that layer q): each layer in between passes an entry from ONE
// input entry (a pool's argmax; activations, flatten and identity keep the index) times a gain
// (an activation's derivative). So row s of J_x,n = dx_n / dtheta_q is gain_n(s) times the patch
// row of position pos_n(s) in the weights of channel chan(s) (and gain_n(s) on its bias): a gather,
// not a backward pass. A pool keeps channels, so chan(s) is the same for every sample.
struct InputRoute {
  Index nx = 0;                                // in_t, the tail's input size
  std::vector<std::vector<Index>> by_channel;  // the s of each channel of z_q
  std::vector<Index> chan;                     // the channel of each s
  std::vector<Index> pos;                      // N x nx: position of s's entry in its channel of z_q
  std::vector<double> gain;                    // N x nx
};

InputRoute input_route(const SequentialNet& net, const SeqPass& pass, Index q, Index first) {
  const Layer& Lq = net.layer(q);
  const Index N = pass.rows, nx = net.size(first), P = Lq.gemm_positions();
  InputRoute r;
  r.nx = nx;
  r.pos.resize(size_t(N * nx));
  r.gain.resize(size_t(N * nx));
  r.by_channel.resize(size_t(Lq.gemm_channels()));
  for (Index n = 0; n < N; ++n)
    for (Index s = 0; s < nx; ++s) {
      Index e = s;  // an index into a_{i+1}, from a_first down to a_{q+1} = z_q (CHW)
      double g = 1;
      for (Index i = first - 1; i > q; --i) {
        const Layer& L = net.layer(i);
        switch (L.spec.kind) {
          case LayerKind::MaxPool2d: e = pass.pool[size_t(i)][size_t(n * L.out.size() + e)]; break;
          case LayerKind::Flatten:
          case LayerKind::Identity: break;
          default: g *= act_d1(activation_of(L.spec.kind), pass.a[size_t(i)][size_t(n * L.in.size() + e)]);
        }
      }
      r.pos[size_t(n * nx + s)] = e % P;
      r.gain[size_t(n * nx + s)] = g;
      if (n == 0) {
        r.by_channel[size_t(e / P)].push_back(s);
        r.chan.push_back(e / P);
      }
    }
  return r;
}

// The tail as an MLP on x: its pass and the per-sample curvature E_m of each kind that has one.
struct TailTerms {
  MlpTail tail;
  ParamLayout lay;
  const double* params;  // the tail's parameters (params + t0)
  Pass pass;
  PreactCurvature pc;
  TailTerms(const MlpTail& t, const double* p) : tail(t), lay(t.spec), params(p) {}
};

// A column chunk [c0, c1) of layer q's parameters, by channel: weights k in [k0, k1) at chunk
// column wcol, the bias at chunk column bcol (-1: not in the chunk).
struct ChannelColumns {
  Index c, k0, k1, wcol, bcol;
};

std::vector<ChannelColumns> chunk_channels(const Layer& Lq, Index c0, Index c1) {
  const Index C = Lq.gemm_channels(), K = Lq.gemm_patch(), wo = Lq.weight_offset, bo = Lq.bias_offset;
  std::vector<ChannelColumns> out;
  for (Index c = 0; c < C; ++c) {
    const Index first = wo + c * K;
    const Index k0 = std::clamp<Index>(c0 - first, 0, K), k1 = std::clamp<Index>(c1 - first, 0, K);
    const Index bcol = Lq.bias_size > 0 && bo + c >= c0 && bo + c < c1 ? bo + c - c0 : -1;
    if (k0 < k1 || bcol >= 0) out.push_back({c, k0, k1, first + k0 - c0, bcol});
  }
  return out;
}

// One worker's buffers, kept across its tasks.
struct TailWork {
  std::vector<double> Y, rows, tmp, vc, patches, prow, T;
  GroupBuffers back;
};

// Everything the tasks of one column chunk read.
struct TailChunk {
  const SequentialNet* net;
  const SeqPass* pass;
  const TailTerms* tt;
  const InputRoute* route;  // from layer q's output to the activation a_lift (lift >= 0) or x
  const double* params;
  Index q, N, T0, b;  // rows [T0, b) (parameter order) x the chunk's w columns
  Index w;
  std::vector<ChannelColumns> channels;
  Index lift = -1;  // q's route ends at a_lift, below x: the vectors at x go down to it first
  const InputRoute* route_x = nullptr;      // lifted: x's route to the lift layer's output
  const std::vector<Index>* lift_entries = nullptr;  // lifted: patch_entries of the lift layer
  const std::vector<double>* cols = nullptr;  // layer q's patches of every sample, when they fit
  // The patch row of position pos of sample n (conv2d: from cols or built in buf; linear: the input).
  const double* patch(Index n, Index pos, std::vector<double>& buf) const {
    const Layer& Lq = net->layer(q);
    const double* a = pass->a[size_t(q)].data() + n * Lq.in.size();
    if (Lq.spec.kind != LayerKind::Conv2d) return a;
    if (!cols->empty()) return cols->data() + (n * Lq.positions() + pos) * Lq.patch();
    buf.resize(size_t(Lq.gemm_patch()));
    seq::patch_row(Lq, a, pos, buf.data());
    return buf.data();
  }
};

// rows (g x n_j, vectors at the tail's activation a_j of sample n; a_0 = x) -> the same vectors
// at x: for l = j..1, times act'(z_l), then times W_l.
void rows_to_input(const TailTerms& t, Index n, Index j, Index g, TailWork& wk) {
  for (Index l = j; l >= 1; --l) {
    const Index out = t.lay.out(l), in = t.lay.in(l);
    const double* z = t.pass.Z[size_t(l)].data() + n * out;
    for (Index c = 0; c < out; ++c) {
      const double d = act_d1(t.tail.spec.activation, z[c]);
      for (Index a = 0; a < g; ++a) wk.rows[size_t(a * out + c)] *= d;
    }
    wk.tmp.resize(size_t(g * in));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g, in, out, 1.0, wk.rows.data(), out,
                t.params + t.lay.weight_offset(l), in, 0.0, wk.tmp.data(), in);
    wk.rows.swap(wk.tmp);
  }
}

// The g vectors at x in wk.rows, for a layer q whose route ends below x (at a_lift: the input of
// the last parameter layer before the tail): backpropagated to a_lift through that layer.
void lift_rows(const TailChunk& ck, Index n, Index g, TailWork& wk) {
  if (ck.lift < 0) return;
  wk.back.d.swap(wk.rows);
  backward_rows(*ck.net, ck.params, *ck.pass, ck.tt->tail.first, ck.lift, n, 1, g, wk.back);
  wk.rows.swap(wk.back.d);
}

// Rows [sa, sa + g) of K_1 = I (unit vectors at x) lifted to a_lift without the dense transpose:
// x[s] is gain * z_lift[c, p] (one entry) and z_lift[c, p] = sum_k W[c, k] a_lift[entry(k, p)].
void lift_unit_rows(const TailChunk& ck, Index n, Index sa, Index g, TailWork& wk) {
  const InputRoute& rx = *ck.route_x;
  const Layer& L = ck.net->layer(ck.lift);
  const Index na = L.in.size(), K = L.gemm_patch(), P = L.gemm_positions();
  const double* W = ck.params + L.weight_offset;
  wk.rows.assign(size_t(g * na), 0.0);
  for (Index j = 0; j < g; ++j) {
    const Index s = sa + j, at = n * rx.nx + s, c = rx.chan[size_t(s)], p = rx.pos[size_t(at)];
    const double gain = rx.gain[size_t(at)];
    if (gain == 0.0) continue;
    double* row = wk.rows.data() + j * na;
    for (Index k = 0; k < K; ++k) {
      const Index e = (*ck.lift_entries)[size_t(k * P + p)];
      if (e >= 0) row[e] += gain * W[c * K + k];
    }
  }
}

// Y_j[n, :] = (v_j^T J_x,n) on the chunk's columns for the g vectors v_j at x in wk.rows (g x nx);
// Y_j's row n at Y + j * ldj + n * w.
void contract(const TailChunk& ck, Index n, Index g, double* Y, Index ldj, TailWork& wk) {
  const InputRoute& r = *ck.route;
  const Index nx = r.nx, K = ck.net->layer(ck.q).gemm_patch();
  const double* gain = r.gain.data() + n * nx;
  for (const ChannelColumns& cc : ck.channels) {
    const std::vector<Index>& S = r.by_channel[size_t(cc.c)];
    const Index ns = static_cast<Index>(S.size());
    // The vectors' entries of this channel times their gains: (g x ns).
    wk.vc.resize(size_t(g * ns));
    bool any = false;
    for (Index j = 0; j < g; ++j)
      for (Index t = 0; t < ns; ++t) {
        const double v = wk.rows[size_t(j * nx + S[size_t(t)])] * gain[S[size_t(t)]];
        wk.vc[size_t(j * ns + t)] = v;
        any = any || v != 0.0;
      }
    if (!any) {
      for (Index j = 0; j < g; ++j) {
        double* y = Y + j * ldj + n * ck.w;
        std::fill(y + cc.wcol, y + cc.wcol + (cc.k1 - cc.k0), 0.0);
        if (cc.bcol >= 0) y[cc.bcol] = 0.0;
      }
      continue;
    }
    if (cc.k0 < cc.k1) {
      wk.patches.resize(size_t(ns * K));
      for (Index t = 0; t < ns; ++t) {
        const double* p = ck.patch(n, r.pos[size_t(n * nx + S[size_t(t)])], wk.prow);
        std::copy(p, p + K, wk.patches.data() + t * K);
      }
      // (g x ns)(ns x the chunk's k range): the sum over this channel's entries of x.
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g, cc.k1 - cc.k0, ns, 1.0, wk.vc.data(), ns,
                  wk.patches.data() + cc.k0, K, 0.0, Y + n * ck.w + cc.wcol, ldj);
    }
    if (cc.bcol >= 0)
      for (Index j = 0; j < g; ++j) {
        double s = 0;
        for (Index t = 0; t < ns; ++t) s += wk.vc[size_t(j * ns + t)];
        Y[j * ldj + n * ck.w + cc.bcol] = s;
      }
  }
}

// First units [0, count) of tail layer m whose rows meet [T0, b): a unit's weights come before
// all of the layer's biases, so its rows meet the range iff its first weight row does.
Index units_in_rows(const TailChunk& ck, Index m) {
  const Index first = ck.T0 + ck.tt->lay.weight_offset(m), in = ck.tt->lay.in(m);
  if (ck.b <= first) return 0;
  return std::min(ck.tt->lay.out(m), (ck.b - first + in - 1) / in);
}

// Term one, for the units [r0, r1) of tail layer m and the kind of E slot e: for each unit r,
// rows (r, s) = (1/N) Abar_{m-1}^T Y_r with Y_r[n, :] = (Xi_m,n J_x,n)[r, :], Xi_m = E_m dz_m/dx.
void term_xi(const TailChunk& ck, size_t e, Index m, Index r0, Index r1, double* staging, TailWork& wk) {
  const TailTerms& t = *ck.tt;
  const Index N = ck.N, out = t.lay.out(m), in = t.lay.in(m), g = r1 - r0;
  wk.Y.resize(size_t(g * N * ck.w));
  for (Index n = 0; n < N; ++n) {
    // Rows r0..r1 of E_m, times W_m (to a_{m-1}), then down to x.
    wk.tmp.resize(size_t(g * in));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g, in, out, 1.0,
                t.pc.E[e][size_t(m)].data() + (n * out + r0) * out, out, t.params + t.lay.weight_offset(m), in, 0.0,
                wk.tmp.data(), in);
    wk.rows.swap(wk.tmp);
    rows_to_input(t, n, m - 1, g, wk);
    lift_rows(ck, n, g, wk);
    contract(ck, n, g, wk.Y.data(), N * ck.w, wk);
  }
  const double* A = t.pass.A[size_t(m - 1)].data();  // N x in: a_{m-1}
  for (Index j = 0; j < g; ++j) {
    const Index r = r0 + j, row = t.lay.weight_offset(m) + r * in;  // rows local to T0
    const Index s1 = std::min(in, ck.b - ck.T0 - row);
    const double* Y = wk.Y.data() + j * N * ck.w;
    if (s1 > 0)
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s1, ck.w, N, 1.0 / double(N), A, in, Y, ck.w, 0.0,
                  staging + row * ck.w, ck.w);
    const Index brow = t.lay.bias() ? t.lay.bias_offset(m) + r : -1;
    if (brow >= 0 && ck.T0 + brow < ck.b) {
      double* o = staging + brow * ck.w;
      std::fill(o, o + ck.w, 0.0);
      for (Index n = 0; n < N; ++n)
        for (Index c = 0; c < ck.w; ++c) o[c] += Y[n * ck.w + c];
      for (Index c = 0; c < ck.w; ++c) o[c] /= double(N);
    }
  }
}

// Adds, for input row s of tail layer m, T (units [0, rh) x width) into rows (r, s) of the
// stagings at the chunk columns `cols` (width of them, consecutive from col, or all w).
void add_k_rows(const TailChunk& ck, Index m, Index s, Index rh, const double* T, Index width, Index col0,
                Index bias_from, Index bias_col, const std::vector<double*>& stagings) {
  const Index in = ck.tt->lay.in(m), wo = ck.tt->lay.weight_offset(m);
  for (double* st : stagings)
    for (Index r = 0; r < rh; ++r) {
      double* o = st + (wo + r * in + s) * ck.w;
      const double* src = T + r * width;
      for (Index c = 0; c < bias_from; ++c) o[col0 + c] += src[c];
      if (bias_col >= 0) o[bias_col] += src[bias_from];
    }
}

// Units of tail layer m whose weight row (r, s) lies in [T0, b).
Index k_rows(const TailChunk& ck, Index m, Index s) {
  const Index first = ck.T0 + ck.tt->lay.weight_offset(m) + s, in = ck.tt->lay.in(m);
  if (ck.b <= first) return 0;
  return std::min(ck.tt->lay.out(m), (ck.b - first + in - 1) / in);
}

// Term two (H and R, the same numbers for both), rows [sa, sb) of K_m = d a_{m-1} / dx, m >= 2:
// rows (r, s) += (1/N) sum_n delta_m,n[r] (K_m,n J_x,n)[s, :].
void term_k(const TailChunk& ck, Index m, Index sa, Index sb, const std::vector<double*>& stagings, TailWork& wk) {
  const TailTerms& t = *ck.tt;
  const Index N = ck.N, out = t.lay.out(m), in = t.lay.in(m), g = sb - sa;
  wk.Y.resize(size_t(g * N * ck.w));
  for (Index n = 0; n < N; ++n) {
    if (m == 1 && ck.lift >= 0) {
      lift_unit_rows(ck, n, sa, g, wk);
    } else {
      wk.rows.assign(size_t(g * in), 0.0);
      for (Index j = 0; j < g; ++j) wk.rows[size_t(j * in + sa + j)] = 1.0;
      rows_to_input(t, n, m - 1, g, wk);
      lift_rows(ck, n, g, wk);
    }
    contract(ck, n, g, wk.Y.data(), N * ck.w, wk);
  }
  const double* D = t.pass.Delta[size_t(m)].data();  // N x out
  for (Index j = 0; j < g; ++j) {
    const Index rh = k_rows(ck, m, sa + j);
    if (rh == 0) continue;
    wk.T.resize(size_t(rh * ck.w));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rh, ck.w, N, 1.0 / double(N), D, out,
                wk.Y.data() + j * N * ck.w, ck.w, 0.0, wk.T.data(), ck.w);
    add_k_rows(ck, m, sa + j, rh, wk.T.data(), ck.w, 0, ck.w, -1, stagings);
  }
}

// Term two of the first tail layer (K_1 = I): row s of J_x,n itself, nonzero only in channel
// chan(s)'s columns. `S` lists the rows (all of channel cc.c).
void term_k_first(const TailChunk& ck, const ChannelColumns& cc, const Index* S, Index g,
                  const std::vector<double*>& stagings, TailWork& wk) {
  const TailTerms& t = *ck.tt;
  const InputRoute& r = *ck.route;
  const Index N = ck.N, out = t.lay.out(1), nx = r.nx, kw = cc.k1 - cc.k0;
  const Index width = kw + (cc.bcol >= 0 ? 1 : 0);
  wk.Y.resize(size_t(g * N * width));
  for (Index n = 0; n < N; ++n)
    for (Index j = 0; j < g; ++j) {
      const Index s = S[j];
      const double gain = r.gain[size_t(n * nx + s)];
      double* y = wk.Y.data() + (j * N + n) * width;
      if (kw > 0) {
        const double* p = ck.patch(n, r.pos[size_t(n * nx + s)], wk.prow);
        for (Index k = 0; k < kw; ++k) y[k] = gain * p[cc.k0 + k];
      }
      if (cc.bcol >= 0) y[kw] = gain;
    }
  const double* D = t.pass.Delta[1].data();
  for (Index j = 0; j < g; ++j) {
    const Index rh = k_rows(ck, 1, S[j]);
    if (rh == 0) continue;
    wk.T.resize(size_t(rh * width));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rh, width, N, 1.0 / double(N), D, out,
                wk.Y.data() + j * N * width, width, 0.0, wk.T.data(), width);
    add_k_rows(ck, 1, S[j], rh, wk.T.data(), width, cc.wcol, kw, cc.bcol, stagings);
  }
}

// Columns of one chunk: its staging (rows x w per kind) and its Y buffers fit their budgets.
Index tail_chunk_columns(Index rows, Index N, Index W) {
  const double by_staging = budget::kTailRectangleBytes / (8.0 * double(rows));
  const double by_y = budget::kSlabYBytes / (8.0 * double(N) * double(budget::kTailUnits));
  return std::max<Index>(1, std::min<Index>(W, static_cast<Index>(std::min(by_staging, by_y))));
}

// Bytes the pieces below the squares allocate at most besides the primal pass: tail_rectangle
// for the last layer before the tail or (lifted) the one before it (their stagings, the tail's
// pass and E, the routes, each worker's buffers), and cross_block (two layers' Gram rows and
// patches of a sample chunk, its two blocks, each worker's B).
double below_squares_bytes(const SequentialNet& net, Index N, const std::vector<CurvatureKind>& kinds, int threads) {
  const MlpTail tail = mlp_tail(net);
  const Index last = last_pre_tail_layer(net, tail), prev = previous_param_layer(net, last);
  if (last < 0) return 0;
  const ParamLayout lay(tail.spec);
  const double T = double(resolve_threads(threads)), G = double(budget::kTailUnits), k = double(net.outputs());
  double nk = 0, units = 0, sq = 0, widest = 0, layer_widest = 0;
  for (auto kd : kinds) nk += tangent_kind(kd) ? 1 : 0;
  for (Index m = 1; m <= lay.depth(); ++m) {
    units += double(lay.out(m) + lay.in(m));
    sq += double(lay.out(m)) * double(lay.out(m));
    widest = std::max(widest, double(std::max(lay.out(m), lay.in(m))));
  }
  for (Index i = 0; i < net.depth(); ++i)
    layer_widest = std::max(layer_widest, double(std::max(net.layer(i).in.size(), net.layer(i).out.size())));
  const double rows = double(lay.size());
  const double tail_pass = 3.0 * double(N) * units + nk * double(N) * sq;
  double most = 0;
  for (Index q : {last, prev}) {
    if (q < 0) continue;
    const Layer& Lq = net.layer(q);
    const Index Wq = Lq.param_end() - Lq.weight_offset;
    const double w = double(tail_chunk_columns(lay.size(), N, Wq)), K = double(Lq.gemm_patch());
    const double staging = nk * rows * w, routes = 6.0 * double(N) * layer_widest + budget::kTangentBytes / 8.0;
    double worker = G * double(N) * w + 4.0 * G * std::max(widest, layer_widest) + layer_widest * K + K + widest * w;
    if (q == prev) {
      const Layer& L2 = net.layer(last);
      worker += double(L2.gemm_positions() * L2.gemm_patch()) +
                G * double(L2.gemm_positions()) * double(L2.gemm_patch() + L2.gemm_channels());
      const double M1 = double(Wq), M2 = double(L2.param_end() - L2.weight_offset);
      const double cross = 3.0 * budget::kTangentBytes / 8.0 + 2.0 * M1 * M2 + double(N) * double(L2.out.size()) +
                           T * (double(N) * double(L2.gemm_positions()) * (K + 1) + double(L2.gemm_channels()) * (K + 1) +
                                double(kSampleGroup) * (3.0 * k * layer_widest + double(Lq.gemm_positions()) * K));
      most = std::max(most, cross);
    }
    most = std::max(most, staging + tail_pass + routes + T * worker);
  }
  return 8.0 * most;
}

// The rectangle rows [T0, b) x columns [i0, i1) of layer q, the last parameter layer before the
// tail (T0 its end, the tail's first parameter), for the kinds (H, G, R) with their sinks: element
// (row, col) at (at_row + row - T0, at_col + col - i0) of its sink, and with `mirror` also at the
// transposed place. Column chunks in turn; in each, term one by unit groups, then term two (added:
// it shares rows with every unit), then the staging goes to the sinks.
void tail_rectangle(const SequentialNet& net, const double* params, const SeqPass& pass, const std::int32_t* labels,
                    Index q, Index b, Index i0, Index i1, const std::vector<CurvatureKind>& kinds,
                    const std::vector<BlockSink>& sinks, Index at_row, Index at_col, bool mirror, Index lift,
                    int threads, const Control& control) {
  const MlpTail tail = mlp_tail(net);
  const Index N = pass.rows, T0 = tail.t0, rows = b - T0, W = i1 - i0, L = tail.spec.depth(), G = budget::kTailUnits;
  const Layer& Lq = net.layer(q);
  control.report("assembly", 0.0);
  TailTerms tt(tail, params + T0);
  const DataView x{pass.a[size_t(tail.first)].data(), labels, N};
  tt.pass = run_pass(tail.spec, tt.params, x, true);
  // Term one for H and G, and for R only where the tail's activation has curvature: otherwise
  // R's E is zero and its rows are term two alone.
  const bool flat = tail.spec.activation == Activation::Relu || tail.spec.activation == Activation::Linear;
  std::vector<CurvatureKind> xi_kinds;
  for (auto k : kinds)
    if (k != CurvatureKind::Residual || !flat) xi_kinds.push_back(k);
  tt.pc = preactivation_curvature(tail.spec, tt.lay, tt.params, x, tt.pass, xi_kinds, threads);
  control.check();
  const InputRoute route = input_route(net, pass, q, lift >= 0 ? lift : tail.first);
  const InputRoute route_x = lift >= 0 ? input_route(net, pass, lift, tail.first) : InputRoute{};
  const std::vector<Index> lift_entries = lift >= 0 ? patch_entries(net.layer(lift)) : std::vector<Index>{};
  // Layer q's patches of all samples, gathered many times over (a chunk's tasks each read them all),
  // when they fit the tangent budget; otherwise each patch row is built where it is read.
  std::vector<double> cols;
  const double cols_bytes = 8.0 * double(N) * double(Lq.positions()) * double(Lq.patch());
  if (Lq.spec.kind == LayerKind::Conv2d && cols_bytes <= budget::kTangentBytes) {
    cols.resize(size_t(N * Lq.positions() * Lq.patch()));
    parallel_ranges(N, threads, 16, [&](Index n0, Index n1, int) {
      seq::im2row(Lq, pass.a[size_t(q)].data() + n0 * Lq.in.size(), n1 - n0, cols.data() + n0 * Lq.positions() * Lq.patch());
    });
  }

  const Index wmax = tail_chunk_columns(rows, N, W);
  std::vector<std::vector<double>> staging(kinds.size());
  std::vector<double*> k_targets;  // H's and R's stagings: term two goes into both
  std::vector<TailWork> work(static_cast<size_t>(threads));
  Progress progress(control, "assembly", double(W));
  for (Index c0 = i0; c0 < i1; c0 += wmax) {
    const Index c1 = std::min(i1, c0 + wmax);
    TailChunk ck{&net, &pass, &tt, &route, params, q, N, T0, b, c1 - c0, chunk_channels(Lq, c0, c1), lift,
                 &route_x, &lift_entries, &cols};
    k_targets.clear();
    for (size_t t = 0; t < kinds.size(); ++t) {
      staging[t].resize(size_t(rows * ck.w));
      const bool zero_xi = kinds[t] == CurvatureKind::Residual && flat;
      if (zero_xi) std::fill(staging[t].begin(), staging[t].end(), 0.0);
      if (kinds[t] != CurvatureKind::GaussNewton) k_targets.push_back(staging[t].data());
    }
    // Term one: (E slot, layer, unit group).
    struct Task { size_t e; Index m, r0, r1; };
    std::vector<Task> one;
    for (size_t e = 0; e < tt.pc.slots.size(); ++e)
      for (Index m = 1; m <= L; ++m)
        for (Index r0 = 0, U = units_in_rows(ck, m); r0 < U; r0 += G) one.push_back({e, m, r0, std::min(U, r0 + G)});
    parallel_for(static_cast<Index>(one.size()), threads, &control, [&](Index i, int worker) {
      const Task& tk = one[size_t(i)];
      const size_t t = size_t(std::find(kinds.begin(), kinds.end(), tt.pc.slots[tk.e]) - kinds.begin());
      term_xi(ck, tk.e, tk.m, tk.r0, tk.r1, staging[t].data(), work[size_t(worker)]);
    });
    // Term two: (layer m >= 2, input rows [sa, sb)) and, for the first layer, (channel, its rows).
    if (!k_targets.empty()) {
      struct KTask { Index m, sa, sb; size_t cc; };
      std::vector<KTask> two;
      // (K_1 = I: row s of J_x itself, a gather into one channel's columns, unless lifted.)
      for (size_t i = 0; i < ck.channels.size() && lift < 0; ++i) {
        const std::vector<Index>& S = route.by_channel[size_t(ck.channels[i].c)];
        for (Index sa = 0; sa < Index(S.size()) && k_rows(ck, 1, S[size_t(sa)]) > 0; sa += G)
          two.push_back({1, sa, std::min<Index>(Index(S.size()), sa + G), i});
      }
      for (Index m = lift < 0 ? 2 : 1; m <= L; ++m)
        for (Index sa = 0; sa < tt.lay.in(m) && k_rows(ck, m, sa) > 0; sa += G)
          two.push_back({m, sa, std::min(tt.lay.in(m), sa + G), 0});
      parallel_for(static_cast<Index>(two.size()), threads, &control, [&](Index i, int worker) {
        const KTask& tk = two[size_t(i)];
        if (tk.m == 1 && lift < 0) {
          const ChannelColumns& cc = ck.channels[tk.cc];
          term_k_first(ck, cc, route.by_channel[size_t(cc.c)].data() + tk.sa, tk.sb - tk.sa, k_targets,
                       work[size_t(worker)]);
        } else {
          term_k(ck, tk.m, tk.sa, tk.sb, k_targets, work[size_t(worker)]);
        }
      });
    }
    // To the sinks, in row tiles (each tile's rows, and with the mirror their columns, are its own).
    constexpr Index Tt = budget::kTransposeTile;
    const Index col = at_col + (c0 - i0);
    parallel_for((rows + Tt - 1) / Tt, threads, &control, [&](Index tile, int) {
      const Index ra = tile * Tt, rz = std::min(rows, ra + Tt);
      for (size_t t = 0; t < kinds.size(); ++t) {
        const BlockSink& s = sinks[t];
        const double* st = staging[t].data();
        for (Index r = ra; r < rz; ++r)
          for (Index c = 0; c < ck.w; ++c) put(s, at_row + r, col + c, st[r * ck.w + c]);
        if (mirror)
          for (Index c = 0; c < ck.w; ++c)
            for (Index r = ra; r < rz; ++r) put(s, col + c, at_row + r, st[r * ck.w + c]);
      }
    });
    progress.add(double(ck.w));
  }
}


// The block rows [r0, r1) of layer q2 (the last parameter layer before the tail) x columns
// [i0, i1) of layer q1, the parameter layer before it, when f is piecewise linear after q2:
//   G = (1/N) sum_n A_q2,n^T A_q1,n: the cross product of the two layers' Gram rows A = L^T J;
//   R = (1/N) sum_n sum_p delta_q2,n[c, p] d cols_q2,n[p, k] / d theta_q1: z_q2 is bilinear in
//       (W_q2, a_q2) and f is linear in z_q2 on each sample's region, so this is all of f's second
//       derivative across the two layers; a_q2 is pools and activations of z_q1, so each
//       d a_q2[e] / d theta_q1 is a gain times one patch row of q1 (InputRoute);
//   H = G's product plus R's (H's own route would repeat the same two products).
// Each kind's block goes to (at_row + row - r0, at_col + col - i0) of its sink and transposed.
void cross_block(const SequentialNet& net, const double* params, const SeqPass& pass, const std::vector<double>& roots,
                 Index q1, Index q2, Index r0, Index r1, Index i0, Index i1, const std::vector<CurvatureKind>& kinds,
                 const std::vector<BlockSink>& sinks, Index at_row, Index at_col, int threads, const Control& control) {
  const Layer& L1 = net.layer(q1);
  const Layer& L2 = net.layer(q2);
  const Index N = pass.rows, k = net.outputs();
  const Index M1 = L1.param_end() - L1.weight_offset, M2 = L2.param_end() - L2.weight_offset;
  const Index w1 = i1 - i0, w2 = r1 - r0, o1 = i0 - L1.weight_offset, o2 = r0 - L2.weight_offset;
  const Index P1 = L1.gemm_positions(), K1 = L1.gemm_patch(), C1 = L1.gemm_channels();
  const Index P2 = L2.gemm_positions(), K2 = L2.gemm_patch(), C2 = L2.gemm_channels();
  bool need_g = false, need_r = false;
  for (auto kd : kinds) {
    need_g = need_g || kd != CurvatureKind::Residual;
    need_r = need_r || kd != CurvatureKind::GaussNewton;
  }
  const Index S = std::max<Index>(1, std::min({chunk_samples(net, q1, N), chunk_samples(net, q2, N),
                                               static_cast<Index>(budget::kTangentBytes / (8.0 * double(P1 * K1)))}));
  std::vector<double> gram(size_t(w2 * w1), 0.0), bil(size_t(w2 * w1), 0.0);
  std::vector<double> A1, A2, dT, cols1;
  std::vector<GroupBuffers> buffers(static_cast<size_t>(threads));
  std::vector<std::vector<double>> B(static_cast<size_t>(threads)), T(static_cast<size_t>(threads));
  const std::vector<Index> entry = patch_entries(L2);
  const InputRoute route = need_r ? input_route(net, pass, q1, q2) : InputRoute{};
  const std::vector<Index>& chan = route.chan;
  Progress progress(control, "assembly", double(N));
  for (Index n0 = 0; n0 < N; n0 += S) {
    const Index ns = std::min(S, N - n0);
    if (need_g) {
      A1.resize(size_t(ns * k * M1));
      A2.resize(size_t(ns * k * M2));
      parallel_for((ns + kSampleGroup - 1) / kSampleGroup, threads, &control, [&](Index g, int worker) {
        const Index g0 = g * kSampleGroup, gn = std::min(kSampleGroup, ns - g0);
        jacobian_rows(net, params, pass, roots, q1, n0 + g0, gn, A1.data() + g0 * k * M1, buffers[size_t(worker)]);
        jacobian_rows(net, params, pass, roots, q2, n0 + g0, gn, A2.data() + g0 * k * M2, buffers[size_t(worker)]);
      });
      parallel_for((w2 + kGramTile - 1) / kGramTile, threads, &control, [&](Index t, int) {
        const Index a0 = t * kGramTile, a1 = std::min(w2, a0 + kGramTile);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, a1 - a0, w1, ns * k, 1.0 / double(N), A2.data() + o2 + a0,
                    M2, A1.data() + o1, M1, 1.0, gram.data() + a0 * w1, w1);
      });
    }
    if (need_r) {
      // delta_q2 of the chunk as C2 x (n, p2), and q1's patches of the chunk.
      dT.resize(size_t(C2 * ns * P2));
      const double* d2 = pass.delta[size_t(q2 + 1)].data() + n0 * C2 * P2;
      for (Index n = 0; n < ns; ++n)
        for (Index c = 0; c < C2; ++c)
          std::copy(d2 + (n * C2 + c) * P2, d2 + (n * C2 + c + 1) * P2, dT.data() + c * ns * P2 + n * P2);
      const double* a1 = pass.a[size_t(q1)].data() + n0 * L1.in.size();
      const double* patches = a1;
      if (L1.spec.kind == LayerKind::Conv2d) {
        cols1.resize(size_t(ns * P1 * K1));
        seq::im2row(L1, a1, ns, cols1.data());
        patches = cols1.data();
      }
      parallel_for(K2, threads, &control, [&](Index k2, int worker) {
        Index ch = -1;
        for (Index p2 = 0; p2 < P2 && ch < 0; ++p2)
          if (entry[size_t(k2 * P2 + p2)] >= 0) ch = chan[size_t(entry[size_t(k2 * P2 + p2)])];
        if (ch < 0) return;
        // B ((n, p2) x (K1 + 1)): the gain times q1's patch row (and 1 for its bias) of the entry.
        std::vector<double>& b = B[size_t(worker)];
        std::vector<double>& t = T[size_t(worker)];
        const Index wb = K1 + 1;
        b.resize(size_t(ns * P2 * wb));
        for (Index n = 0; n < ns; ++n)
          for (Index p2 = 0; p2 < P2; ++p2) {
            double* row = b.data() + (n * P2 + p2) * wb;
            const Index e = entry[size_t(k2 * P2 + p2)];
            if (e < 0) {
              std::fill(row, row + wb, 0.0);
              continue;
            }
            const Index at = (n0 + n) * route.nx + e;
            const double g = route.gain[size_t(at)];
            const double* pr = patches + (n * P1 + route.pos[size_t(at)]) * K1;
            for (Index j = 0; j < K1; ++j) row[j] = g * pr[j];
            row[K1] = g;
          }
        t.resize(size_t(C2 * wb));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C2, wb, ns * P2, 1.0 / double(N), dT.data(), ns * P2,
                    b.data(), wb, 0.0, t.data(), wb);
        for (Index c = 0; c < C2; ++c) {
          const Index rr = c * K2 + k2 - o2;
          if (rr < 0 || rr >= w2) continue;
          double* out = bil.data() + rr * w1;
          for (Index j = 0; j < K1; ++j) {
            const Index col = ch * K1 + j - o1;
            if (col >= 0 && col < w1) out[col] += t[size_t(c * wb + j)];
          }
          const Index bcol = C1 * K1 + ch - o1;
          if (L1.bias_size > 0 && bcol >= 0 && bcol < w1) out[bcol] += t[size_t(c * wb + K1)];
        }
      });
    }
    control.check();
    progress.add(double(ns));
  }
  parallel_for(w2, threads, &control, [&](Index rr, int) {
    for (size_t t = 0; t < kinds.size(); ++t) {
      const BlockSink& s = sinks[t];
      for (Index c = 0; c < w1; ++c) {
        const double g = gram[size_t(rr * w1 + c)], r = bil[size_t(rr * w1 + c)];
        const double v = kinds[t] == CurvatureKind::GaussNewton ? g : kinds[t] == CurvatureKind::Residual ? r : g + r;
        put(s, at_row + rr, at_col + c, v);
        put(s, at_col + c, at_row + rr, v);
      }
    }
  });
}

}  // namespace

bool conv_slabs_take(const SequentialNet& net, const CurvatureRequest& req, const Rect& rect) {
  if (req.r_operator_only || !rect.diagonal()) return false;
  if (std::none_of(req.kinds.begin(), req.kinds.end(), tangent_kind)) return false;
  return rect.rb < mlp_tail_begin(net);
}

Index conv_slabs_tail_rectangle_layer(const SequentialNet& net) { return last_pre_tail_layer(net, mlp_tail(net)); }

void assemble_tail_rectangle(const SequentialNet& net, const double* params, const DataView& data,
                             const CurvatureRequest& req, const std::vector<BlockSink>& sinks, const Control& control) {
  const Rect rect = validate_request(req, sinks, net.param_count());
  const Index q = conv_slabs_tail_rectangle_layer(net);
  require(q >= 0, "the model has no parameter layer right before an MLP tail");
  const Index t0 = net.layer(q).param_end();
  require(rect.rb == t0, "rows must begin at the MLP tail's first parameter, " + std::to_string(t0) +
                             "; received " + std::to_string(rect.rb));
  require(rect.cb >= net.layer(q).weight_offset && rect.ce <= t0,
          "columns must lie in the parameters [" + std::to_string(net.layer(q).weight_offset) + ", " +
              std::to_string(t0) + ") of the layer before the tail");
  for (auto k : req.kinds) require(tangent_kind(k), "the tail rectangle has no gradient covariance");
  SeqPass pass;
  seq_forward(net, params, data, nullptr, data.N, false, pass);
  control.check();
  tail_rectangle(net, params, pass, data.y, q, rect.re, rect.cb, rect.ce, req.kinds, sinks, 0, 0, false, -1,
                 resolve_threads(req.threads), control);
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
  // The primal pass, with its deltas when the cross block needs them.
  double pass = 0;
  for (Index i = 0; i <= net.depth(); ++i) pass += 2.0 * double(net.size(i));
  const double per_thread = double(kSampleGroup) * (3.0 * double(k) * widest + group);
  return budget::kTangentBytes + below_squares_bytes(net, N, kinds, threads) +
         8.0 * (double(N) * (pass + double(k * k)) + square * square + double(resolve_threads(threads)) * per_thread);
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

  // The last parameter layer before the tail: the rows of its rectangle are all the tail's.
  const MlpTail mt = mlp_tail(net);
  const Index last = last_pre_tail_layer(net, mt), prev = previous_param_layer(net, last);
  auto has_piece = [&](Index q) {
    return q >= 0 && std::any_of(pieces.begin(), pieces.end(), [&](const Piece& p) { return p.q == q; });
  };
  const bool tail_rows = b > mt.t0 && has_piece(last);
  // The layer before it, when f is piecewise linear after `last`: its rows of `last` by the cross
  // Gram and the bilinear term, its tail rows by the tail's input Jacobian lifted through `last`.
  const bool pair = prev >= 0 && piecewise_linear_after(net, last) && has_piece(prev) && b > net.layer(prev).param_end();

  // 1. The pre-tail squares by the Gram (with the primal pass and the output Hessians' roots).
  const bool any_gram = sg >= 0 || std::any_of(pieces.begin(), pieces.end(), [&](const Piece& p) {
                          return p.flat && (sh >= 0 || sr >= 0);
                        });
  SeqPass pass;
  std::vector<double> roots;
  if (any_gram || tail_rows || pair) {
    seq_forward(net, params, data, nullptr, N, pair, pass);
    control.check();
  }
  if (any_gram || pair) roots = output_hessian_roots(net, pass, data.y, T);
  if (any_gram) {
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
  // 3. Below each square, its columns' rectangle down to b, mirrored into the upper part: for
  // the last layer before the tail by the tail's input Jacobian (its rows are all the tail's); for
  // earlier layers by the R-operator, whose tangents must run through the later layers for
  // their rows anyway (the tail's rows add only their accumulations there).
  for (const Piece& p : pieces) {
    const Index r0 = net.layer(p.q).param_end();
    if (r0 >= b) continue;
    std::vector<BlockSink> tangent_sinks;
    for (size_t t = 0; t < req.kinds.size(); ++t)
      if (tangent_kind(req.kinds[t])) tangent_sinks.push_back(sinks[t]);
    const Index w = p.i1 - p.i0;
    if (p.q == last) {
      tail_rectangle(net, params, pass, data.y, p.q, b, p.i0, p.i1, tangent_kinds, tangent_sinks, r0 - a, p.i0 - a,
                     true, -1, T, share(double(w) * double(b - r0)));
      continue;
    }
    if (pair && p.q == prev) {
      const Index r1 = std::min(b, mt.t0);
      cross_block(net, params, pass, roots, prev, last, r0, r1, p.i0, p.i1, tangent_kinds, tangent_sinks, r0 - a,
                  p.i0 - a, T, share(double(w) * double(r1 - r0)));
      if (b > mt.t0)
        tail_rectangle(net, params, pass, data.y, p.q, b, p.i0, p.i1, tangent_kinds, tangent_sinks, mt.t0 - a,
                       p.i0 - a, true, last, T, share(double(w) * double(b - mt.t0)));
      continue;
    }
    const Control sub = share(double(w) * double(b - r0));
    run_sub(tangent_kinds, r0, b, p.i0, p.i1, false, sub);
    for (size_t t = 0; t < req.kinds.size(); ++t)
      if (tangent_kind(req.kinds[t])) mirror_rectangle(sinks[t], r0 - a, b - a, p.i0 - a, p.i1 - a);
  }
  pass = SeqPass();
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
