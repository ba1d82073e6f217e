// Exact curvature matrices of the mean training loss L(w) = (1/N) sum_i l(f(w, x_i), y_i) of an MLP:
//   Hessian             H = d²L/dw²
//   Gauss-Newton (GGN)  G = (1/N) sum_i J_i^T H_l,i J_i            (J_i = df(x_i)/dw, k x M)
//   residual            R = (1/N) sum_i sum_c (dl_i/df_c) d²f_c(x_i)/dw²
//   gradient covariance C = (1/N) sum_i g_i g_i^T                  (g_i = per-sample gradient, uncentered)
// with H = G + R. Each is computed by its own recursion (G from H_l alone, R from the activations'
// second derivatives and the backpropagated errors), so H = G + R is a real test of the three.
//
// Method (why it is BLAS-3). For one sample, every entry of these matrices factorises over
// "units" u = (layer l, output row p): the parameters of a unit are the row W_l[p, :] and b_l[p],
// whose derivatives carry the input activation a_{l-1}. For units u = (l, p) and v = (m, r), m >= l:
//   X[(l,p,q), (m,r,s)] = (1/N) sum_i a_{l-1,i}[q] * ( Xi_i[(l,p),(m,r)] a_{m-1,i}[s] + [m > l] K_i[s,p] delta_{m,i}[r] )
// where a is augmented with a constant 1 for the bias, Xi is a small per-sample matrix in
// pre-activation space (d z_m / d z_l)^T E_m with E_m the per-sample curvature with respect to z_m,
// K = d a_{m-1} / d z_l, and the K-term (only in H and R) is the cross-layer part of the network's
// own curvature. So for a fixed unit u, the slab of rows of u is ONE matrix product
//   slab_u = (1/N) Abar_{l-1}^T Y_u,   Abar_{l-1}: N x (n_{l-1}+1),   Y_u: N x (columns),
// and the whole matrix costs as many flops as one (M x N)(N x M) product — half of it with symmetry
// (only unit pairs u <= v are formed; the rest is mirrored). Several kinds share one build of Y
// per slab, each kind with its own GEMM over its section, so a matrix's numbers do not depend on
// what is assembled beside it; H is never formed as G + R, so H = G + R checks three recursions.
// Units run in parallel (request.threads), each with its own Y and a single-threaded GEMM.
//
// Within-layer blocks (m = l, no K-term; most of the matrix: 75% of a 64-64-10 net's) go by unit
// PAIRS instead: X[(l,p,q),(l,r,s)] = (1/N) sum_i abar[i,q] abar[i,s] Xi_i[p,r] is symmetric in
// q <-> s and in p <-> r separately, so one GEMM (p <= r pairs) x N x (q <= s pairs) with the
// shared factor KR[i,(q,s)] = abar[i,q] abar[i,s] gives the block from a quarter of its products,
// in GEMMs far wider than a unit's in + 1 rows. Blocks between adjacent layers (m = l + 1, where
// K = D_l is diagonal) go by unit pairs too: one GEMM (p, r) x N x (q, s) with KR[i,(q,s)] =
// abar_l[i,q] abar_{l+1}[i,s], plus the K-term as a small GEMM added to each tile's column s = p.
// A block goes by pairs when its unit pairs (the GEMM's rows) number >= min(budget::kPairRows,
// (n_{l-1} + 1) / 2), else by the slabs (whose rows are n_{l-1} + 1: a narrow layer under wide
// inputs); the slabs always cover layers m >= l + 2. The choice reads the layer sizes only.
//
// Blocking: any rectangle of rows x columns (parameter index ranges, PyTorch order) can be
// assembled on its own (a distributed build gives each process its blocks). A square on the
// diagonal (row range = column range) comes out exactly symmetric; the full square uses the
// symmetric path (unit pairs u <= v only). Requests are checked by validate_request
// (curvature_plumbing.h), the same for every model form.
//
// Output: row-major blocks, element (row, col) at sink[(row - row_begin) * ld + (col - col_begin)],
// in float64 or float32 (float32 rounds the float64 result once, at the end).
// Cost: ~ M_rows * M_cols * N flops per kind (x 1/2 for the symmetric full square, x 1/4 on
// within-layer blocks), plus
// O(N * (sum of widths)^2 * width) per-sample work, plus workspace estimated by assembly_workspace_bytes.
#pragma once

#include <vector>

#include "control.h"
#include "mlp.h"

namespace hl {

enum class CurvatureKind { Hessian = 0, GaussNewton = 1, Residual = 2, GradientCovariance = 3 };
const char* curvature_name(CurvatureKind kind);

struct BlockSink {
  double* f64 = nullptr;  // exactly one of f64 / f32 is set
  float* f32 = nullptr;
  Index ld = 0;  // leading dimension (elements between consecutive rows), >= number of columns
};

struct CurvatureRequest {
  std::vector<CurvatureKind> kinds;  // one sink per kind, same order; non-empty, no repeats
  Index row_begin = 0, row_end = -1;  // [row_begin, row_end) in parameter order; -1 = M
  Index col_begin = 0, col_end = -1;
  int threads = 0;  // threads of this job (0 = all cores); results do not depend on it (threads.h)
  /// Sequential models only: every block by the R-operator route, none by the MLP-tail unit slabs
  /// (sequential_curvature.h) — the independent route the tests compare the fast one with.
  bool r_operator_only = false;
};

/// Assembles the requested blocks. `params` (M), `data` are read only. Polls `control` between
/// slabs (cancellation throws Cancelled) and reports progress in [0, 1].
void assemble_curvature(const MlpSpec& spec, const double* params, const DataView& data,
                        const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control);

/// Bytes of workspace (besides the output blocks) that assemble_curvature will allocate with
/// `threads` threads (0 = all cores).
double assembly_workspace_bytes(const MlpSpec& spec, Index N, const std::vector<CurvatureKind>& kinds, int threads = 0);

/// The per-sample curvature E_m of the loss with respect to the pre-activations z_m (the E of the
/// formula above), for each kind of `kinds` that has one (all but the gradient covariance):
/// H's includes the activations' second derivatives, G's is J^T H_l J, R's is the rest. Shared with
/// the conv slab route (conv_slabs.h), whose MLP tail has the same units. Cost O(N sum n_m^2 n_{m+1}).
struct PreactCurvature {
  std::vector<CurvatureKind> slots;                 // kinds with an E, in `kinds` order
  std::vector<std::vector<std::vector<double>>> E;  // E[slot][m]: N x n_m x n_m row-major (m = 1..L)
};
PreactCurvature preactivation_curvature(const MlpSpec& spec, const ParamLayout& lay, const double* params,
                                        const DataView& data, const Pass& pass,
                                        const std::vector<CurvatureKind>& kinds, int threads);

}  // namespace hl
