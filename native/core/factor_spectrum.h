// Exact spectra of H, G, R and C through their factors, for M much larger than the rank: the
// "factor route". It returns what the dense route (assemble_curvature + solve_symmetric) returns —
// all M eigenvalues ascending — without forming any M x M matrix.
//
// Maths (J_i = df(x_i)/dw, k x M; H_l,i = S_i S_i^T the loss's output Hessian, S_i k x r_l with
// r_l = k - 1 for softmax cross-entropy (an exact factor of diag(p) - pp^T: diag(sqrt p) times an
// orthonormal basis of sqrt(p)'s complement, from one Householder reflector), k for MSE, 1 for
// logistic):
//  * G = F^T F, F = the (N r_l) x M stack of S_i^T J_i / sqrt(N) (row (i, j) is a vector-Jacobian
//    product: the backward pass of output sensitivity S_i[:, j]). Nonzero eig(G) = eig(F F^T).
//  * C = P^T P / N, P = the N x M per-sample gradients: nonzero eig(C) = eig(P P^T / N).
//    (When N r_l > M the M x M matrix F^T F is formed instead: same values, no zeros to add.)
//  * R and H of piecewise-linear nets (ReLU / identity / max-pool hidden layers, linear, conv):
//    f is linear in each single layer's parameters, so R's diagonal block of every layer is 0.
//    Let b be the largest parameter layer (M_b coordinates, contiguous) and o the rest (M_o). Then
//      H = [[H_oo, H_ob], [H_bo, F_b^T F_b]],  H_bo = F_b^T F_o + R_bo,
//    so with B = [F_b^T, R_bo] (M_b x p, p = N r_l + M_o), C = [F_o; I] and E = diag(I_{N r_l}, 0):
//      H = P^T S P,  P = diag(I_o, B^T),  S = [[H_oo, C^T], [C, E]].
//    With B = Q_B U (Householder QR, U upper trapezoidal, min(M_b, p) x p):
//      H = diag(I_o, Q_B) T diag(I_o, Q_B)^T,  T = [[H_oo, (U C)^T], [U C, U E U^T]],
//    an exact orthogonal similarity on the subspace Q = diag(I_o, Q_B) that contains range(H)
//    (range(H) lies in span(coordinates o) + range(F_b^T) + range(R_bo)). R is the same with
//    B = R_bo, C = I, E = 0. The basis comes from the factors (no random sketch); QR is backward
//    stable column by column, so T's eigenvalues are H's to O(eps ||H||) like the dense route's.
//  * tanh / sigmoid hidden layers break R_ll = 0: H and R are refused (plan.refusal says why).
//
// Rank bound r (the order of the small matrix; the M - r other eigenvalues are exact zeros):
//   G: min(N r_l, M);  C: min(N, M);  H: M_o + min(M_b, N r_l + M_o);  R: M_o + min(M_b, M_o).
//
// Order: values ascending; the M - r exact zeros are inserted after the small matrix's negative
// eigenvalues. Eigenvectors (on request): those of the small matrix's k largest eigenvalues (or
// all r), mapped back to R^M (Q times the small eigenvectors), M x k column-major, with their
// positions in `values`. The null space (the inserted zeros) has no vectors returned.
//
// Cost (flops; p, r as above): G: N r_l M (factor rows) + (N r_l)^2 M (syrk) + eig(N r_l);
// H: factor rows + rectangle assembly R_bo (~2 M_b M_o N) + QR (2 M_b p^2 - 2/3 p^3) + eig(r).
// Memory: G: 8 N r_l M (F) + 8 (N r_l)^2; H: 8 (M_b p + min(M_b, p) p + r^2) — e.g. E3 at h = 70
// (M = 55,660, N = 1000): B is 4.3 GB, T 0.9 GB. plan_factor predicts both (no allocation).
// Threads: `threads` (0 = all cores) for the factor rows' GEMMs, the Gram/QR BLAS-3 and LAPACK (each
// in a BlasThreads scope, threads.h), the rectangle assemblies and the small eigensolve; polls
// `control` between factor chunks, Gram panels and QR panels, and the small eigensolve runs where it
// can be stopped (eigen_process.h: the helper).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "control.h"
#include "curvature.h"
#include "dense_matrix.h"
#include "model.h"

namespace hl {

/// What the factor route would do for one matrix of one model at N samples (no allocation).
struct FactorPlan {
  bool supported = true;
  std::string refusal;  // why the factor route cannot compute this matrix (empty when supported)
  Index M = 0, N = 0;
  Index loss_rank = 0;  // r_l
  Index rank = 0;       // r: order of the small matrix (an upper bound on the matrix's rank)
  Index largest_begin = 0, largest_end = 0;  // the largest parameter layer (H, R)
  Index basis_columns = 0;  // p: columns of B (H, R); rows of F (G, C)
  double flops = 0;         // BLAS-3 / factor work besides the final eigensolve
  double bytes = 0;         // peak bytes of the route (inputs excluded)
};

FactorPlan plan_factor(const ModelSpec& model, Index N, CurvatureKind kind);

struct FactorRequest {
  CurvatureKind kind = CurvatureKind::Hessian;
  Index vectors = 0;  // eigenvectors of the k largest eigenvalues of the range part; -1 = all r
  int threads = 0;    // 0 = all cores (threads.h)
};

struct FactorResult {
  FactorPlan plan;
  std::vector<double> values;            // all M eigenvalues, ascending
  std::unique_ptr<DenseMatrix> vectors;  // M x k column-major, or null
  std::vector<Index> vector_index;       // position in `values` of each vector column
  std::string driver;                    // the LAPACK eigensolver that ran on the small matrix
  double factor_seconds = 0, eigen_seconds = 0;
};

/// Throws InvalidArgument (with plan.refusal) when the route does not apply.
FactorResult factor_spectrum(const ModelSpec& model, const double* params, const DataView& data,
                             const FactorRequest& request, const Control& control);

}  // namespace hl
