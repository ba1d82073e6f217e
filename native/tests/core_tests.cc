// Tests of native/core alone (no Node): the plumbing both model forms share, the thread policy
// and the assembly routes, each against an independent route. A plain binary (no framework):
// prints one line per check and ends with `core tests: N passed, N failed`; exit status 1 on
// any failure. Built by CMakeLists.txt (target core_tests), run by .ci/run.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../core/conv_slabs.h"
#include "../core/curvature_plumbing.h"
#include "../core/errors.h"
#include "../core/model.h"
#include "../core/threads.h"

namespace {

using hl::CurvatureKind;
using hl::Index;

int g_passed = 0, g_failed = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  (ok ? g_passed : g_failed)++;
}

// Runs f and reports whether it threw hl::Error(InvalidArgument) whose message contains `needle`.
void check_rejects(const std::function<void()>& f, const std::string& needle, const std::string& what) {
  try {
    f();
    check(false, what + " (did not throw)");
  } catch (const hl::Error& e) {
    const bool ok = e.kind() == hl::ErrorKind::InvalidArgument && std::string(e.what()).find(needle) != std::string::npos;
    if (!ok) std::printf("     message: %s\n", e.what());
    check(ok, what);
  }
}

double lcg(std::uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return double(s) / 4294967296.0 - 0.5;
}

struct Case {
  hl::ModelSpec model;
  std::vector<double> params, X;
  std::vector<std::int32_t> y;
  Index M = 0, N = 0;
  hl::DataView data() const { return {X.data(), y.data(), N}; }
};

Case make_case(hl::ModelSpec model, Index N, std::uint32_t seed, double scale) {
  Case c;
  c.model = std::move(model);
  c.M = c.model.param_count();
  c.N = N;
  for (Index j = 0; j < c.M; ++j) c.params.push_back(scale * lcg(seed));
  for (Index j = 0; j < N * c.model.inputs(); ++j) c.X.push_back(lcg(seed) + 0.3);
  for (Index i = 0; i < N; ++i) c.y.push_back(static_cast<std::int32_t>(i % c.model.classes()));
  return c;
}

Case mlp_case() {
  hl::ModelSpec m;
  m.mlp.layers = {5, 6, 4, 3};
  m.mlp.activation = hl::Activation::Tanh;
  return make_case(m, 11, 3, 0.8);
}

// conv(2, 3x3) relu maxpool(2) flatten linear(6) tanh linear(3) on 1x8x8: a conv part and an MLP tail.
Case conv_case() {
  hl::SequentialSpec s;
  s.input_shape = {1, 8, 8};
  hl::LayerSpec conv;
  conv.kind = hl::LayerKind::Conv2d;
  conv.out = 2;
  conv.kh = conv.kw = 3;
  hl::LayerSpec pool;
  pool.kind = hl::LayerKind::MaxPool2d;
  pool.kh = pool.kw = pool.sh = pool.sw = 2;
  hl::LayerSpec lin1, lin2, relu, tanh_, flat;
  relu.kind = hl::LayerKind::Relu;
  tanh_.kind = hl::LayerKind::Tanh;
  flat.kind = hl::LayerKind::Flatten;
  lin1.kind = lin2.kind = hl::LayerKind::Linear;
  lin1.out = 6;
  lin2.out = 3;
  s.layers = {conv, relu, pool, flat, lin1, tanh_, lin2};
  hl::ModelSpec m;
  m.sequential = std::make_shared<hl::SequentialNet>(s);
  return make_case(m, 7, 5, 0.6);
}

struct Out {
  std::vector<std::vector<double>> m;  // one per kind, rows x cols
};

Out assemble(const Case& c, std::vector<CurvatureKind> kinds, int threads, bool r_operator_only = false,
             Index rb = 0, Index re = -1, Index cb = 0, Index ce = -1) {
  hl::CurvatureRequest req;
  req.kinds = std::move(kinds);
  req.threads = threads;
  req.r_operator_only = r_operator_only;
  req.row_begin = rb;
  req.row_end = re;
  req.col_begin = cb;
  req.col_end = ce;
  const Index rows = (re < 0 ? c.M : re) - rb, cols = (ce < 0 ? c.M : ce) - cb;
  Out o;
  std::vector<hl::BlockSink> sinks;
  for (size_t t = 0; t < req.kinds.size(); ++t) o.m.emplace_back(static_cast<size_t>(rows * cols), -7.0);
  for (auto& v : o.m) sinks.push_back({v.data(), nullptr, cols});
  hl::assemble_curvature(c.model, c.params.data(), c.data(), req, sinks, hl::Control{});
  return o;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}
double max_abs(const std::vector<double>& a) {
  double d = 0;
  for (double x : a) d = std::max(d, std::abs(x));
  return d;
}

const std::vector<CurvatureKind> kAll{CurvatureKind::Hessian, CurvatureKind::GaussNewton, CurvatureKind::Residual,
                                      CurvatureKind::GradientCovariance};

void test_validation(const Case& c, const std::string& form) {
  std::vector<double> buf(static_cast<size_t>(c.M * c.M));
  auto run = [&](hl::CurvatureRequest req, std::vector<hl::BlockSink> sinks) {
    hl::assemble_curvature(c.model, c.params.data(), c.data(), req, sinks, hl::Control{});
  };
  const hl::BlockSink good{buf.data(), nullptr, c.M};
  hl::CurvatureRequest req;
  check_rejects([&] { run(req, {}); }, "at least one", form + ": empty kind list rejected");
  req.kinds = {CurvatureKind::Hessian, CurvatureKind::Hessian};
  check_rejects([&] { run(req, {good, good}); }, "twice", form + ": duplicate kinds rejected");
  req.kinds = {CurvatureKind::Hessian};
  check_rejects([&] { run(req, {}); }, "one output block per", form + ": missing sink rejected");
  hl::CurvatureRequest bad = req;
  bad.row_begin = 3;
  bad.row_end = 3;
  check_rejects([&] { run(bad, {good}); }, "rows", form + ": empty row range rejected");
  bad = req;
  bad.col_end = c.M + 1;
  check_rejects([&] { run(bad, {good}); }, "columns", form + ": column range past M rejected");
  bad = req;
  bad.row_begin = -2;
  check_rejects([&] { run(bad, {good}); }, "rows", form + ": negative row rejected");
  check_rejects([&] { run(req, {hl::BlockSink{buf.data(), nullptr, c.M - 1}}); }, "ld", form + ": short ld rejected");
  check_rejects([&] { run(req, {hl::BlockSink{nullptr, nullptr, c.M}}); }, "exactly one", form + ": sink without buffer rejected");
  check_rejects([&] { run(req, {hl::BlockSink{buf.data(), nullptr, Index(1) << 61}}); }, "overflows",
                form + ": overflowing rows x ld rejected");
  bad = req;
  bad.threads = -1;
  check_rejects([&] { run(bad, {good}); }, "threads", form + ": negative threads rejected");
}

void test_form(const Case& c, const std::string& form) {
  const Out all = assemble(c, kAll, 1);
  const auto &H = all.m[0], &G = all.m[1], &R = all.m[2];
  // H = G + R from three recursions; exact symmetry.
  std::vector<double> GR(H.size());
  for (size_t i = 0; i < H.size(); ++i) GR[i] = G[i] + R[i];
  check(max_diff(H, GR) <= 1e-13 * std::max(1.0, max_abs(H)), form + ": H = G + R");
  bool sym = true;
  for (Index i = 0; i < c.M; ++i)
    for (Index j = 0; j < c.M; ++j) sym = sym && H[size_t(i * c.M + j)] == H[size_t(j * c.M + i)];
  check(sym, form + ": H exactly symmetric");
  // H against central differences of the gradient.
  double err = 0;
  const double h = 1e-5;
  for (Index j = 0; j < c.M; ++j) {
    std::vector<double> p = c.params, m = c.params;
    p[size_t(j)] += h;
    m[size_t(j)] -= h;
    const auto gp = hl::evaluate(c.model, p.data(), c.data(), false).gradient;
    const auto gm = hl::evaluate(c.model, m.data(), c.data(), false).gradient;
    for (Index i = 0; i < c.M; ++i) err = std::max(err, std::abs((gp[size_t(i)] - gm[size_t(i)]) / (2 * h) - H[size_t(i * c.M + j)]));
  }
  check(err <= 1e-7 * std::max(1.0, max_abs(H)), form + ": H matches finite differences of the gradient");
  // C from per-sample gradients.
  const auto ev = hl::evaluate(c.model, c.params.data(), c.data(), true);
  double cerr = 0;
  for (Index a = 0; a < c.M; ++a)
    for (Index b = 0; b < c.M; ++b) {
      double s = 0;
      for (Index i = 0; i < c.N; ++i) s += ev.per_sample[size_t(i * c.M + a)] * ev.per_sample[size_t(i * c.M + b)];
      cerr = std::max(cerr, std::abs(s / double(c.N) - all.m[3][size_t(a * c.M + b)]));
    }
  check(cerr <= 1e-14, form + ": C = mean of g g^T");
  // Shared pass vs one at a time: bitwise.
  bool same = true;
  for (size_t t = 0; t < kAll.size(); ++t) same = same && assemble(c, {kAll[t]}, 1).m[0] == all.m[t];
  check(same, form + ": H, G, R, C together = each alone (bitwise)");
  // Thread counts: bitwise.
  const Out two = assemble(c, kAll, 2), three = assemble(c, kAll, 3);
  check(two.m == all.m && three.m == all.m, form + ": 1, 2 and 3 threads give bitwise the same matrices");
  // Blocks equal the full matrices; a diagonal square is exactly symmetric.
  const Index r0 = c.M / 5, r1 = c.M - 3, c0 = c.M / 3, c1 = c.M;
  const Out blk = assemble(c, kAll, 2, false, r0, r1, c0, c1);
  double berr = 0;
  for (size_t t = 0; t < kAll.size(); ++t)
    for (Index i = r0; i < r1; ++i)
      for (Index j = c0; j < c1; ++j)
        berr = std::max(berr, std::abs(blk.m[t][size_t((i - r0) * (c1 - c0) + (j - c0))] - all.m[t][size_t(i * c.M + j)]));
  check(berr <= 1e-14, form + ": a rectangle equals the full matrices' block");
  const Out sq = assemble(c, {CurvatureKind::Hessian}, 2, false, r0, r1, r0, r1);
  bool sq_sym = true;
  const Index n = r1 - r0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) sq_sym = sq_sym && sq.m[0][size_t(i * n + j)] == sq.m[0][size_t(j * n + i)];
  check(sq_sym, form + ": a square on the diagonal is exactly symmetric");
}

void test_conv_routes(const Case& c) {
  const Out fast = assemble(c, kAll, 2), rop = assemble(c, kAll, 2, true);
  double err = 0, scale = 0;
  for (size_t t = 0; t < 3; ++t) {
    err = std::max(err, max_diff(fast.m[t], rop.m[t]));
    scale = std::max(scale, max_abs(rop.m[t]));
  }
  check(err <= 1e-13 * std::max(1.0, scale), "sequential: conv slabs + MLP-tail slabs = R-operator alone (H, G, R)");
  const Out fb = assemble(c, kAll, 1, false, 3, c.M, 10, c.M - 2), rb = assemble(c, kAll, 1, true, 3, c.M, 10, c.M - 2);
  double e2 = 0;
  for (size_t t = 0; t < 3; ++t) e2 = std::max(e2, max_diff(fb.m[t], rb.m[t]));
  check(e2 <= 1e-13 * std::max(1.0, scale), "sequential: the two routes agree on a rectangle across the tail boundary");
}

// conv(2, 3x3) relu conv(3, 2x2, padding 1) relu flatten linear(3) on 1x6x6, mse: two conv layers
// before a one-layer tail, so the conv slab route (conv_slabs.h) assembles two Gram squares, a
// conv x conv rectangle and conv x tail rectangles; compared with the R-operator route alone.
void test_conv_slabs() {
  hl::SequentialSpec s;
  s.input_shape = {1, 6, 6};
  s.loss = hl::LossKind::Mse;
  hl::LayerSpec c1, c2, relu, flat, lin;
  c1.kind = c2.kind = hl::LayerKind::Conv2d;
  c1.out = 2;
  c1.kh = c1.kw = 3;
  c2.out = 3;
  c2.kh = c2.kw = 2;
  c2.ph = c2.pw = 1;
  relu.kind = hl::LayerKind::Relu;
  flat.kind = hl::LayerKind::Flatten;
  lin.kind = hl::LayerKind::Linear;
  lin.out = 3;
  s.layers = {c1, relu, c2, relu, flat, lin};
  hl::ModelSpec m;
  m.sequential = std::make_shared<hl::SequentialNet>(s);
  const Case c = make_case(m, 9, 11, 0.7);
  for (const auto& [b0, b1] : std::vector<std::pair<Index, Index>>{{0, c.M}, {7, c.M - 4}}) {
    const Out fast = assemble(c, kAll, 2, false, b0, b1, b0, b1), rop = assemble(c, kAll, 1, true, b0, b1, b0, b1);
    double err = 0, scale = 0;
    for (size_t t = 0; t < kAll.size(); ++t) {
      err = std::max(err, max_diff(fast.m[t], rop.m[t]));
      scale = std::max(scale, max_abs(rop.m[t]));
    }
    check(err <= 1e-12 * std::max(1.0, scale) && scale > 1e-3,
          "sequential: conv slab route = R-operator route (H, G, R, C) on [" + std::to_string(b0) + ", " + std::to_string(b1) + ")^2");
  }
  // The route is taken: the full assembly holds, bit for bit, what the tail rectangle piece alone
  // gives for the last conv's columns x the tail's rows (on another thread count), and that
  // piece equals the R-operator's rectangle to rounding.
  const hl::SequentialNet& net = *m.sequential;
  const Index q = hl::conv_slabs_tail_rectangle_layer(net);
  check(q == 2, "sequential: the tail rectangle's layer is the last conv (layer 2)");
  const Index t0 = net.layer(q).param_end(), c0 = net.layer(q).weight_offset, rows = c.M - t0, cols = t0 - c0;
  const std::vector<CurvatureKind> hgr{CurvatureKind::Hessian, CurvatureKind::GaussNewton, CurvatureKind::Residual};
  hl::CurvatureRequest req;
  req.kinds = hgr;
  req.row_begin = t0;
  req.col_begin = c0;
  req.col_end = t0;
  req.threads = 2;
  std::vector<std::vector<double>> piece(3, std::vector<double>(size_t(rows * cols), -7.0));
  std::vector<hl::BlockSink> sinks;
  for (auto& v : piece) sinks.push_back({v.data(), nullptr, cols});
  hl::assemble_tail_rectangle(net, c.params.data(), c.data(), req, sinks, hl::Control{});
  const Out full = assemble(c, hgr, 1), rect = assemble(c, hgr, 1, true, t0, c.M, c0, t0);
  bool same = true;
  double err = 0, scale = 0;
  for (size_t t = 0; t < 3; ++t) {
    for (Index r = 0; r < rows; ++r)
      for (Index j = 0; j < cols; ++j) same = same && piece[t][size_t(r * cols + j)] == full.m[t][size_t((t0 + r) * c.M + c0 + j)];
    err = std::max(err, max_diff(piece[t], rect.m[t]));
    scale = std::max(scale, max_abs(rect.m[t]));
  }
  check(same, "sequential: the full assembly's tail x last-conv block is the tail rectangle piece (bitwise, 1 vs 2 threads)");
  check(err <= 1e-12 * std::max(1.0, scale) && scale > 1e-3, "sequential: the tail rectangle piece = the R-operator's rectangle");
  check_rejects([&] {
    hl::CurvatureRequest bad = req;
    bad.row_begin = t0 + 1;
    hl::assemble_tail_rectangle(net, c.params.data(), c.data(), bad, sinks, hl::Control{});
  }, "rows must begin", "sequential: the tail rectangle piece rejects rows that do not start at the tail");
}

void test_parallel_for() {
  std::vector<int> hits(1000, 0);
  hl::parallel_for(1000, 4, nullptr, [&](Index t, int) { hits[size_t(t)]++; });
  bool once = true;
  for (int h : hits) once = once && h == 1;
  check(once, "parallel_for runs every task once");
  try {
    hl::parallel_for(100, 3, nullptr, [&](Index t, int) {
      if (t == 17) throw hl::Error(hl::ErrorKind::Numerical, "task 17");
    });
    check(false, "parallel_for forwards a worker's exception");
  } catch (const hl::Error& e) {
    check(std::string(e.what()) == "task 17", "parallel_for forwards a worker's exception");
  }
  hl::Control control;
  int ran = 0;
  try {
    hl::parallel_for(1000, 2, &control, [&](Index t, int) {
      if (t == 5) control.cancelled->store(true);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      ++ran;
    });
    check(false, "parallel_for stops on cancellation");
  } catch (const hl::Error& e) {
    check(e.kind() == hl::ErrorKind::Cancelled && ran < 100, "parallel_for stops on cancellation");
  }
  bool covered = true;
  std::vector<int> seen(997, 0);
  hl::parallel_ranges(997, 3, 10, [&](Index b, Index e, int) {
    for (Index i = b; i < e; ++i) seen[size_t(i)]++;
  });
  for (int s : seen) covered = covered && s == 1;
  check(covered, "parallel_ranges covers [0, n) once");
}

// A threaded BlasThreads scope (another job's eigensolve, say) running beside an assembly must
// not change the assembly's numbers: OpenBLAS's thread count is process-wide, and its dgemm does
// not give the same bits on 1 and 2 threads, so the two must never overlap (threads.h).
void test_blas_threads() {
  hl::ModelSpec big;
  big.mlp.layers = {20, 30, 10};
  const Case c = make_case(big, 400, 13, 0.5);  // GEMMs large enough for OpenBLAS to split them
  const Out ref = assemble(c, kAll, 1);
  std::atomic<bool> done{false};
  std::thread other([&] {
    const Index m = 200, n = 200, k = 300;
    std::vector<double> A(size_t(m * k), 0.5), B(size_t(k * n), 0.25), C(size_t(m * n));
    while (!done) {
      hl::BlasThreads two(2);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A.data(), k, B.data(), n, 0.0, C.data(), n);
    }
  });
  bool same = true;
  for (int r = 0; r < 20; ++r) same = same && assemble(c, kAll, 1).m == ref.m;
  done = true;
  other.join();
  check(same, "an assembly beside a 2-thread BLAS scope keeps its numbers (bitwise)");
  check(openblas_get_num_threads() == 1, "OpenBLAS is back to 1 thread after a BlasThreads scope");
}

void test_mirror() {
  const Index n = 70, ld = 75;
  std::vector<double> a(size_t(n * ld), 0.0);
  for (Index i = 0; i < n; ++i)
    for (Index j = i; j < n; ++j) a[size_t(i * ld + j)] = double(i * 1000 + j);
  hl::mirror_upper(hl::BlockSink{a.data(), nullptr, ld}, n);
  bool ok = true;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) ok = ok && a[size_t(i * ld + j)] == double(std::min(i, j) * 1000 + std::max(i, j));
  check(ok, "mirror_upper copies the upper triangle onto the lower one");
}

}  // namespace

int main() {
  try {
    const Case mlp = mlp_case(), cnn = conv_case();
    test_validation(mlp, "mlp");
    test_validation(cnn, "sequential");
    test_form(mlp, "mlp");
    test_form(cnn, "sequential");
    test_conv_routes(cnn);
    test_conv_slabs();
    test_parallel_for();
    test_blas_threads();
    test_mirror();
  } catch (const std::exception& e) {
    check(false, std::string("unexpected exception: ") + e.what());
  }
  std::printf("core tests: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
