#include "factor_spectrum.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eigen_process.h"
#include "eigensolver.h"
#include "errors.h"
#include "threads.h"

namespace hl {

namespace {

// Factor rows are produced in chunks of at most this many bytes (per-row gradients of a chunk).
constexpr double kChunkBytes = 256.0 * 1024 * 1024;
// Rows of the QR panel: the basis is factorised panel by panel so cancellation is polled between them.
constexpr Index kPanel = 512;
// Rows of the Gram F F^T formed per BLAS call, for the same reason.
constexpr Index kGramPanel = 1024;

using Range = std::pair<Index, Index>;  // [begin, end) in parameter order

// The MLP as the sequential model it is (same parameter order), so one backward pass serves both.
std::shared_ptr<const SequentialNet> sequential_form(const ModelSpec& model) {
  if (model.sequential) return model.sequential;
  const MlpSpec& s = model.mlp;
  SequentialSpec q;
  q.input_shape = {s.inputs()};
  q.loss = s.loss;
  for (Index l = 1; l <= s.depth(); ++l) {
    LayerSpec lin;
    lin.kind = LayerKind::Linear;
    lin.out = s.layers[static_cast<size_t>(l)];
    lin.bias = s.bias;
    q.layers.push_back(lin);
    if (l < s.depth()) {
      LayerSpec act;
      act.kind = s.activation == Activation::Relu ? LayerKind::Relu
                 : s.activation == Activation::Tanh ? LayerKind::Tanh
                 : s.activation == Activation::Sigmoid ? LayerKind::Sigmoid
                                                       : LayerKind::Identity;
      q.layers.push_back(act);
    }
  }
  return std::make_shared<SequentialNet>(q);
}

Index loss_rank(LossKind loss, Index k) {
  switch (loss) {
    case LossKind::CrossEntropy: return k - 1;
    case LossKind::Mse: return k;
    case LossKind::Logistic: return 1;
  }
  return k;
}

// Empty when the net is piecewise linear in each parameter layer; otherwise the reason it is not.
std::string nonlinearity(const SequentialNet& net) {
  bool after_params = false;
  for (Index i = 0; i < net.depth(); ++i) {
    const auto& L = net.layer(i);
    if (L.has_params()) after_params = true;
    if (after_params && (L.spec.kind == LayerKind::Tanh || L.spec.kind == LayerKind::Sigmoid))
      return std::string("layer ") + std::to_string(i) + " is " + (L.spec.kind == LayerKind::Tanh ? "tanh" : "sigmoid") +
             ": a smooth activation has a second derivative, so the residual's within-layer blocks R_ll are not zero "
             "and the factor route's rank bound does not hold (use route 'dense')";
  }
  return "";
}

std::vector<Range> parameter_layers(const SequentialNet& net) {
  std::vector<Range> out;
  for (Index i = 0; i < net.depth(); ++i) {
    const auto& L = net.layer(i);
    if (L.has_params()) out.push_back({L.weight_offset, L.bias_offset + L.bias_size});
  }
  return out;
}

Range largest_layer(const std::vector<Range>& layers) {
  Range best = layers.front();
  for (const Range& r : layers)
    if (r.second - r.first > best.second - best.first) best = r;
  return best;
}

// Coordinates outside b, as ranges in parameter order (at most two).
std::vector<Range> others(Index M, Range b) {
  std::vector<Range> o;
  if (b.first > 0) o.push_back({0, b.first});
  if (b.second < M) o.push_back({b.second, M});
  return o;
}

// S (k x r_l, row-major) with S S^T = the loss's Hessian in the outputs f of one sample.
void output_factor(LossKind loss, const double* f, Index k, Index y, double* S) {
  std::vector<double> u(static_cast<size_t>(k));
  sample_loss(loss, f, k, y, u.data(), nullptr);
  if (loss == LossKind::Mse) {
    for (Index a = 0; a < k; ++a)
      for (Index c = 0; c < k; ++c) S[a * k + c] = a == c ? 1.0 : 0.0;
    return;
  }
  if (loss == LossKind::Logistic) {
    const double s = u[0] + double(y);
    S[0] = std::sqrt(std::max(0.0, s * (1.0 - s)));
    return;
  }
  // Cross-entropy: diag(p) - pp^T = D (I - q q^T) D with q = sqrt(p), D = diag(q). The reflector
  // P = I - w w^T / (1 + q_j), w = q + e_j (j = argmax q, so 1 + q_j >= 1: no cancellation), maps
  // q to -e_j; its other k - 1 columns are an orthonormal basis of q's complement.
  std::vector<double> q(static_cast<size_t>(k));
  Index j = 0;
  for (Index a = 0; a < k; ++a) {
    q[a] = std::sqrt(std::max(0.0, u[a] + (a == y ? 1.0 : 0.0)));
    if (q[a] > q[j]) j = a;
  }
  std::vector<double> w = q;
  w[j] += 1.0;
  const double denom = 1.0 + q[j];
  for (Index a = 0; a < k; ++a) {
    Index t = 0;
    for (Index c = 0; c < k; ++c) {
      if (c == j) continue;
      S[a * (k - 1) + t] = q[a] * ((a == c ? 1.0 : 0.0) - w[a] * w[c] / denom);
      ++t;
    }
  }
}

// Calls sink(t, row) for every factor row t (M entries), in order, a chunk of samples at a time:
// G's rows S_i[:, j]^T J_i / sqrt(N) (t = i r_l + j), or C's per-sample gradients g_i / sqrt(N).
template <typename Sink>
void for_each_factor_row(const SequentialNet& net, const double* params, const DataView& data, bool gradients,
                         const Control& control, const std::string& stage, Sink&& sink) {
  const Index M = net.param_count(), k = net.outputs(), D = net.depth(), N = data.N;
  const Index rl = gradients ? 1 : loss_rank(net.loss(), k);
  const Index chunk = std::max<Index>(1, static_cast<Index>(kChunkBytes / (8.0 * double(M) * double(rl))));
  const double scale = 1.0 / std::sqrt(double(N));
  std::vector<std::int32_t> rows;
  std::vector<double> S(static_cast<size_t>(k * rl));
  SeqPass pass;
  for (Index i0 = 0; i0 < N; i0 += chunk) {
    control.check();
    const Index i1 = std::min(N, i0 + chunk), count = (i1 - i0) * rl;
    rows.clear();
    for (Index i = i0; i < i1; ++i)
      for (Index j = 0; j < rl; ++j) rows.push_back(static_cast<std::int32_t>(i));
    seq_forward(net, params, data, rows.data(), count, gradients, pass);
    if (!gradients) {
      pass.delta.resize(static_cast<size_t>(D + 1));
      std::vector<double>& d = pass.delta[static_cast<size_t>(D)];
      d.assign(static_cast<size_t>(count * k), 0.0);
      const double* f = pass.a[static_cast<size_t>(D)].data();
      for (Index i = i0; i < i1; ++i) {
        const Index t0 = (i - i0) * rl;  // the rl rows of sample i share its output f (row t0)
        output_factor(net.loss(), f + t0 * k, k, data.y[i], S.data());
        for (Index j = 0; j < rl; ++j)
          for (Index a = 0; a < k; ++a) d[static_cast<size_t>((t0 + j) * k + a)] = scale * S[static_cast<size_t>(a * rl + j)];
      }
      seq_backward(net, params, pass);
    }
    std::vector<double> g = seq_per_sample_gradients(net, pass);
    if (gradients)
      for (double& v : g) v *= scale;
    for (Index t = 0; t < count; ++t) sink(i0 * rl + t, g.data() + t * M);
    control.report(stage, double(i1) / double(N));
  }
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The small matrix's eigenvectors that map back to the result's vectors.
struct SmallVectors {
  std::unique_ptr<DenseMatrix> storage;
  const double* columns = nullptr;  // r x count, column-major: those of the `count` largest eigenvalues
  Index count = 0;
};

// solve_symmetric reads the lower triangle of T's column-major view and keeps the other triangle as
// its backup (restored from it after an in-place solve), so the backup must hold the same numbers:
// copy the lower triangle onto the upper, in tiles (a plain loop would stride through r^2 doubles).
void mirror_lower_triangle(DenseMatrix& T) {
  constexpr Index kTile = 64;
  const Index n = T.rows();
  double* a = T.f64();
  for (Index j0 = 0; j0 < n; j0 += kTile)
    for (Index i0 = j0; i0 < n; i0 += kTile)
      for (Index j = j0; j < std::min(n, j0 + kTile); ++j)
        for (Index i = std::max(i0, j + 1); i < std::min(n, i0 + kTile); ++i) a[i * n + j] = a[j * n + i];
}

// Solves the small symmetric r x r matrix T (its column-major lower triangle is read; freed here)
// for all its eigenvalues and
// the vectors of its `vectors` largest (-1: all; one LAPACK call when all are wanted, values + an
// index range otherwise). Fills result.values with all M values — T's, with the M - r exact zeros
// after its negatives — and the driver, the eigensolve time and each vector's position in values.
SmallVectors solve_small(std::unique_ptr<DenseMatrix> T, Index M, Index vectors, int threads, const Control& control,
                         FactorResult& result) {
  mirror_lower_triangle(*T);
  control.check();
  const auto start = std::chrono::steady_clock::now();
  const Index r = T->rows();
  const Index want = vectors < 0 ? r : std::min(vectors, r);
  EigenRequest all;
  all.threads = threads;
  all.vectors = want == r;
  EigenResult e = solve_symmetric_stoppable(*T, all, control);
  result.driver = e.driver;
  SmallVectors out;
  out.count = want;
  if (all.vectors) {
    out.storage = std::move(e.vectors);
  } else if (want > 0) {
    EigenRequest top;
    top.threads = threads;
    top.vectors = true;
    top.first = r - want;
    top.last = r - 1;
    EigenResult v = solve_symmetric_stoppable(*T, top, control);
    out.storage = std::move(v.vectors);
    result.driver += "+" + v.driver;
  }
  T.reset();
  if (out.storage) out.columns = out.storage->f64() + (out.storage->cols() - want) * r;
  result.eigen_seconds = seconds_since(start);
  const std::vector<double>& small = e.values;
  const Index negatives = static_cast<Index>(std::lower_bound(small.begin(), small.end(), 0.0) - small.begin());
  result.values.assign(static_cast<size_t>(M), 0.0);
  std::copy(small.begin(), small.begin() + negatives, result.values.begin());
  std::copy(small.begin() + negatives, small.end(), result.values.begin() + (M - r + negatives));
  for (Index j = r - want; j < r; ++j) result.vector_index.push_back(j < negatives ? j : j + (M - r));
  return out;
}

// G or C: eigenvalues of the Gram of the factor rows.
void gram_route(const SequentialNet& net, const ModelSpec& model, const double* params, const DataView& data,
                const FactorRequest& req, const Control& control, FactorResult& result) {
  const bool gradients = req.kind == CurvatureKind::GradientCovariance;
  const Index M = net.param_count(), n = result.plan.basis_columns;
  const int threads = resolve_threads(req.threads);
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<DenseMatrix> F, K;
  {
    // The factor rows' GEMMs and the Gram's BLAS-3 on OpenBLAS's threads; closed before the eigensolve,
    // which opens its own scope (scopes never nest).
    BlasThreads blas(threads, &control);
    if (n <= M) {
      // F (n x M, row-major) and its Gram F F^T (n x n, upper triangle of the row-major storage).
      F = std::make_unique<DenseMatrix>(n, M, Dtype::F64);
      double* f = F->f64();
      for_each_factor_row(net, params, data, gradients, control, "factors",
                          [&](Index t, const double* row) { std::copy(row, row + M, f + t * M); });
      // K = F F^T: upper triangle (row-major), a row panel at a time (cancellation is polled between).
      K = std::make_unique<DenseMatrix>(n, n, Dtype::F64);
      double* kd = K->f64();
      for (Index i0 = 0; i0 < n; i0 += kGramPanel) {
        control.check();
        const Index i1 = std::min(n, i0 + kGramPanel);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, i1 - i0, M, 1.0, f + i0 * M, M, 0.0, kd + i0 * n + i0, n);
        if (i1 < n)
          cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, i1 - i0, n - i1, M, 1.0, f + i0 * M, M, f + i1 * M, M, 0.0,
                      kd + i0 * n + i1, n);
        control.report("gram", double(i1) / double(n));
      }
      if (req.vectors == 0) F.reset();
    } else {
      // More rows than parameters: accumulate F^T F (M x M) chunk by chunk instead.
      K = std::make_unique<DenseMatrix>(M, M, Dtype::F64);
      std::fill(K->f64(), K->f64() + M * M, 0.0);
      std::vector<double> chunk;
      Index rows = 0;
      const Index cap = std::max<Index>(1, static_cast<Index>(kChunkBytes / (8.0 * M)));
      auto flush = [&]() {
        if (rows == 0) return;
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, M, rows, 1.0, chunk.data(), M, 1.0, K->f64(), M);
        rows = 0;
      };
      chunk.resize(static_cast<size_t>(cap * M));
      for_each_factor_row(net, params, data, gradients, control, "factors", [&](Index, const double* row) {
        std::copy(row, row + M, chunk.data() + rows * M);
        if (++rows == cap) flush();
      });
      flush();
    }
  }
  const Index order = K->rows();  // the upper triangle of K's row-major storage is the lower of its column-major view
  result.factor_seconds = seconds_since(t0);
  const SmallVectors u = solve_small(std::move(K), M, req.vectors, threads, control, result);
  const Index want = u.count;
  if (want == 0) return;
  const double* U = u.columns;
  result.vectors = std::make_unique<DenseMatrix>(M, want, Dtype::F64, true);
  double* V = result.vectors->f64();
  if (!F) {
    std::copy(U, U + want * M, V);  // eigenvectors of F^T F itself
    return;
  }
  // v = F^T u / ||F^T u||: F row-major n x M is F^T column-major M x n.
  BlasThreads blas(threads, &control);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, want, n, 1.0, F->f64(), M, U, order, 0.0, V, M);
  for (Index j = 0; j < want; ++j) {
    const double norm = cblas_dnrm2(M, V + j * M, 1);
    if (norm > 0) cblas_dscal(M, 1.0 / norm, V + j * M, 1);
  }
}

// Assembles rows x cols of `kind` (both ranges in parameter order) into a row-major sink.
// assemble_curvature runs on `threads` itself (and holds the BLAS lock shared): never call it
// inside a BlasThreads scope.
void assemble_block(const ModelSpec& model, const double* params, const DataView& data, CurvatureKind kind, Range rows,
                    Range cols, double* sink, Index ld, int threads, const Control& control) {
  CurvatureRequest req;
  req.threads = threads;
  req.kinds = {kind};
  req.row_begin = rows.first;
  req.row_end = rows.second;
  req.col_begin = cols.first;
  req.col_end = cols.second;
  Control quiet;  // the sub-assemblies' own progress would mislabel ours; cancellation still reaches them
  quiet.cancelled = control.cancelled;
  assemble_curvature(model, params, data, req, {BlockSink{sink, nullptr, ld}}, quiet);
}

// H or R of a piecewise-linear net: the small matrix T on Q = diag(I_o, Q_B) (see the header).
void subspace_route(const SequentialNet& net, const ModelSpec& model, const double* params, const DataView& data,
                    const FactorRequest& req, const Control& control, FactorResult& result) {
  const FactorPlan& plan = result.plan;
  const bool hessian = req.kind == CurvatureKind::Hessian;
  const Index M = plan.M, N = data.N;
  const Range b{plan.largest_begin, plan.largest_end};
  const std::vector<Range> o = others(M, b);
  const Index Mb = b.second - b.first, Mo = M - Mb;
  const Index nr = hessian ? N * plan.loss_rank : 0;
  const Index p = plan.basis_columns, rb = std::min(Mb, p), r = plan.rank;
  const int threads = resolve_threads(req.threads);
  const auto t0 = std::chrono::steady_clock::now();
  // Position of parameter j (outside b) among the o coordinates.
  auto o_index = [&](Index j) { return j < b.first ? j : j - Mb; };

  // B = [F_b^T, R_bo] (M_b x p, column-major) and F_o (nr x M_o, column-major).
  DenseMatrix B(Mb, p, Dtype::F64, true);
  double* Bd = B.f64();
  std::vector<double> Fo(static_cast<size_t>(nr * Mo));
  if (hessian) {
    BlasThreads blas(threads, &control);  // the factor rows' GEMMs
    for_each_factor_row(net, params, data, false, control, "factors", [&](Index t, const double* row) {
      std::copy(row + b.first, row + b.second, Bd + t * Mb);
      for (const Range& rg : o)
        for (Index j = rg.first; j < rg.second; ++j) Fo[static_cast<size_t>(o_index(j) * nr + t)] = row[j];
    });
  }
  // R_bo into B's columns nr..: R is symmetric and a rectangle's entries are the whole matrix's bit
  // for bit, so the row-major rectangle o-range x b is R_bo^T, i.e. B's column-major R_bo part,
  // assembled in place (no staging copy, no transpose).
  for (const Range& rg : o) {
    assemble_block(model, params, data, CurvatureKind::Residual, rg, b, Bd + (nr + o_index(rg.first)) * Mb, Mb, threads,
                   control);
    control.report("residual block", double(o_index(rg.second)) / double(std::max<Index>(Mo, 1)));
  }
  // T (r x r; the solve reads its column-major lower triangle): X_oo from a rectangle assembly of each pair of o ranges.
  auto T = std::make_unique<DenseMatrix>(r, r, Dtype::F64);
  double* Td = T->f64();
  std::fill(Td, Td + r * r, 0.0);
  for (const Range& ra : o)
    for (const Range& rc : o)
      assemble_block(model, params, data, req.kind, ra, rc, Td + o_index(ra.first) * r + o_index(rc.first), r, threads,
                     control);
  // Householder QR of B, panel by panel (reflectors stay in B's lower part, U in its upper part),
  // then T's BLAS-3 blocks: on OpenBLAS's threads, in one scope closed before the eigensolve.
  std::vector<double> tau(static_cast<size_t>(std::max<Index>(rb, 1)));
  std::optional<BlasThreads> blas(std::in_place, threads, &control);
  for (Index j = 0; j < rb; j += kPanel) {
    control.check();
    const Index jb = std::min(kPanel, rb - j);
    lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Mb - j, jb, Bd + j * Mb + j, Mb, tau.data() + j);
    if (info != 0) fail(ErrorKind::Lapack, "dgeqrf failed (info = " + std::to_string(info) + ")");
    if (j + jb < p) {
      info = LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'T', Mb - j, p - j - jb, jb, Bd + j * Mb + j, Mb, tau.data() + j,
                            Bd + (j + jb) * Mb + j, Mb);
      if (info != 0) fail(ErrorKind::Lapack, "dormqr failed (info = " + std::to_string(info) + ")");
    }
    control.report("basis (QR)", double(j + jb) / double(rb));
  }
  // U (rb x p, column-major, zero below the diagonal).
  std::vector<double> U(static_cast<size_t>(rb * p));
  for (Index c = 0; c < p; ++c)
    for (Index i = 0; i <= std::min(c, rb - 1); ++i) U[static_cast<size_t>(c * rb + i)] = Bd[c * Mb + i];
  // T_bo = U C (rb x M_o) into column-major T rows M_o.., columns 0..M_o: U[:, nr:] (+ U[:, :nr] F_o for H).
  double* Tbo = Td + Mo;
  for (Index j = 0; j < Mo; ++j) std::copy(U.data() + (nr + j) * rb, U.data() + (nr + j + 1) * rb, Tbo + j * r);
  if (hessian && nr > 0 && Mo > 0)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rb, Mo, nr, 1.0, U.data(), rb, Fo.data(), nr, 1.0, Tbo, r);
  // T_bb = U E U^T = U[:, :nr] U[:, :nr]^T (zero for R).
  double* Tbb = Td + Mo * r + Mo;
  if (hessian && nr > 0) cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, rb, nr, 1.0, U.data(), rb, 0.0, Tbb, r);
  blas.reset();
  U = std::vector<double>();
  Fo = std::vector<double>();
  result.factor_seconds = seconds_since(t0);
  const SmallVectors y = solve_small(std::move(T), M, req.vectors, threads, control, result);
  const Index want = y.count;
  if (want == 0) return;
  // x = (y_o on the o coordinates, Q_B y_b on b's).
  const double* Y = y.columns;
  result.vectors = std::make_unique<DenseMatrix>(M, want, Dtype::F64, true);
  double* X = result.vectors->f64();
  std::vector<double> W(static_cast<size_t>(Mb * want), 0.0);
  for (Index c = 0; c < want; ++c) {
    const double* y = Y + c * r;
    for (const Range& rg : o)
      for (Index j = rg.first; j < rg.second; ++j) X[c * M + j] = y[o_index(j)];
    std::copy(y + Mo, y + r, W.data() + c * Mb);
  }
  if (rb > 0) {
    BlasThreads scope(threads, &control);
    lapack_int info = LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'N', Mb, want, rb, Bd, Mb, tau.data(), W.data(), Mb);
    if (info != 0) fail(ErrorKind::Lapack, "dormqr failed (info = " + std::to_string(info) + ")");
  }
  for (Index c = 0; c < want; ++c) std::copy(W.data() + c * Mb, W.data() + (c + 1) * Mb, X + c * M + b.first);
}

}  // namespace

FactorPlan plan_factor(const ModelSpec& model, Index N, CurvatureKind kind) {
  require(N >= 1 && N <= std::numeric_limits<std::int32_t>::max(),
          "N must be in [1, 2^31 - 1] (labels are int32); received " + std::to_string(N));
  const auto net = sequential_form(model);
  FactorPlan plan;
  const double M = double(net->param_count());
  plan.M = net->param_count();
  plan.N = N;
  plan.loss_rank = loss_rank(net->loss(), net->outputs());
  const double forward = 6.0 * M;  // flops of one factor row (forward, backward, outer products)
  if (kind == CurvatureKind::GaussNewton || kind == CurvatureKind::GradientCovariance) {
    const Index n = kind == CurvatureKind::GaussNewton ? N * plan.loss_rank : N;
    plan.basis_columns = n;
    plan.rank = std::min(n, plan.M);
    const double g = double(plan.rank);
    plan.flops = forward * double(n) + g * g * std::max(double(n), M);
    const double rows = std::min(kChunkBytes, 8.0 * double(n) * M);  // one chunk of factor rows
    plan.bytes = (n <= plan.M ? 8.0 * double(n) * M : rows) + 8.0 * g * g + rows;
    return plan;
  }
  const std::vector<Range> layers = parameter_layers(*net);
  const Range b = largest_layer(layers);
  plan.largest_begin = b.first;
  plan.largest_end = b.second;
  const std::string why = nonlinearity(*net);
  if (!why.empty()) {
    plan.supported = false;
    plan.refusal = std::string("the factor route cannot compute ") + curvature_name(kind) + ": " + why;
    return plan;
  }
  const Index Mb = b.second - b.first, Mo = plan.M - Mb;
  const bool hessian = kind == CurvatureKind::Hessian;
  const Index nr = hessian ? N * plan.loss_rank : 0;
  const Index p = nr + Mo, rb = std::min(Mb, p);
  plan.basis_columns = p;
  plan.rank = Mo + rb;
  const double dMb = double(Mb), dp = double(p), drb = double(rb), dMo = double(Mo), dN = double(N);
  const double qr = dMb >= dp ? 2.0 * dMb * dp * dp - 2.0 / 3.0 * dp * dp * dp : 2.0 * dp * dMb * dMb - 2.0 / 3.0 * dMb * dMb * dMb;
  // Rectangle assemblies: R_bo (M_b x M_o) and X_oo (M_o x M_o), ~2 N flops per entry.
  const double rect = 2.0 * dN * (dMb * dMo + dMo * dMo);
  plan.flops = (hessian ? forward * double(nr) : 0.0) + rect + qr + 2.0 * drb * dMo * double(nr) + drb * drb * double(nr);
  const double r = double(plan.rank);
  const double rows = std::min(kChunkBytes, 8.0 * double(std::max<Index>(nr, 1)) * M);  // one chunk of factor rows
  plan.bytes = 8.0 * (dMb * dp + drb * dp + r * r + double(nr) * dMo) + rows + assembly_workspace_bytes(model, N, {kind});
  return plan;
}

FactorResult factor_spectrum(const ModelSpec& model, const double* params, const DataView& data,
                             const FactorRequest& request, const Control& control) {
  require(request.vectors >= -1, "vectors must be -1 (all), 0 or a count; received " + std::to_string(request.vectors));
  FactorResult result;
  result.plan = plan_factor(model, data.N, request.kind);
  if (!result.plan.supported) fail(ErrorKind::InvalidArgument, result.plan.refusal);
  const auto net = sequential_form(model);
  const bool gram = request.kind == CurvatureKind::GaussNewton || request.kind == CurvatureKind::GradientCovariance;
  if (gram) {
    gram_route(*net, model, params, data, request, control, result);
  } else if (result.plan.rank == 0) {
    result.values.assign(static_cast<size_t>(result.plan.M), 0.0);  // one parameter layer: R = 0
    result.driver = "none";
  } else if (request.kind == CurvatureKind::Hessian && result.plan.largest_end - result.plan.largest_begin == result.plan.M) {
    // One parameter layer: R = 0 and H = G.
    FactorRequest g = request;
    g.kind = CurvatureKind::GaussNewton;
    const FactorPlan keep = result.plan;
    result.plan = plan_factor(model, data.N, CurvatureKind::GaussNewton);
    gram_route(*net, model, params, data, g, control, result);
    result.plan.largest_begin = keep.largest_begin;
    result.plan.largest_end = keep.largest_end;
  } else {
    subspace_route(*net, model, params, data, request, control, result);
  }
  control.report("eigensolve", 1.0);
  return result;
}

}  // namespace hl
