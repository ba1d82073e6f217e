// The conv slab route: H, G and R of a sequential model (convnet) on a square on the diagonal,
// assembled piece by piece so that each piece takes its cheapest exact route.
//
// Why. The R-operator route (sequential_curvature.h) forms column j of the matrix from the tangent
// of direction e_j pushed through the network; for a conv layer's own block (rows and columns in
// the same layer q) it accumulates delta'_j (x) patches summed over samples AND positions, so that
// block costs P_q (positions) times the flops of a dense block of its size — for S18's E4 convnet
// (conv 20@5x5 on 8x8 positions) its 5,020 x 5,020 block alone was ~1.6 dgemm-equivalents per kind.
// Here a conv layer is what im2col makes it, a shared-weight linear map z_q = W_q cols + b_q, so
// the Jacobian of the outputs with respect to its parameters is, per sample,
//   J_q = sum_p (d f / d z_q[:, p]) cols[p, :]       (k x M_q: one GEMM over the P positions),
// and its own block of the Gauss-Newton matrix is ONE Gram product with inner dimension N k:
//   G_qq = (1/N) sum_n (L_n^T J_q,n)^T (L_n^T J_q,n),   H_l,n = L_n L_n^T (k x k, eigen square root).
// When every activation after layer q is piecewise linear (ReLU, identity; max-pool and flatten
// are linear given the primal argmax), f is linear in z_q on the sample's region, so R_qq = 0
// exactly and H_qq = G_qq. Otherwise H_qq and R_qq keep the R-operator route (G_qq still the Gram).
//
// Pieces of the square [a, b) (parameter order; t0 = the first parameter of the MLP tail,
// sequential_curvature.h; q_L = the last parameter layer before the tail, q_P the one before it):
//  * the tail's square [max(a, t0), b)^2: the MLP unit slabs (as before);
//  * for each parameter layer q before the tail, its square I_q^2 (I_q = its parameters in [a, b)):
//    the Gram above (exactly symmetric: upper triangle computed, mirrored);
//  * the tail's rows x I_{q_L}: by the tail's input Jacobian. With x the tail's input, x depends on
//    theta_q but not on the tail's parameters theta_T, and l on theta_q only through x, so exactly
//      X[T, q] = (1/N) sum_n (d^2 l / d theta_T dx) J_x,n,   J_x,n = dx_n / dtheta_q,
//    and the mixed term has the MLP unit structure (curvature.h) with x as layer 0: for tail layer
//    m, row (r, s), X[(m,r,s), :] = (1/N) sum_n a_{m-1,n}[s] (Xi_m J_x)_n[r, :] + delta_m,n[r] (K_m J_x)_n[s, :]
//    with Xi_m = E_m dz_m/dx (E_m the kind's curvature in z_m: preactivation_curvature), K_m =
//    d a_{m-1}/dx (no K-term in G nor on bias rows; it is the same for H and R). Term one is one
//    GEMM per unit r with inner dimension N, (in+1 x N)(N x columns); term two one per input row s,
//    (out x N)(N x columns), added after. Between q_L and x lie only pools, activations, flatten
//    and identity, each passing ONE entry of z_{q_L} times a gain, so v^T J_x,n is a gather of
//    gain-scaled patch rows per channel (no backward pass), and row s of J_x itself (K_1 = I)
//    lies in one channel's columns;
//  * when f is piecewise linear after q_L (ReLU, max-pool): q_L's rows x I_{q_P} by
//    G = (1/N) sum_n A_{q_L,n}^T A_{q_P,n} (the two layers' Gram rows A = L^T J) and
//    R = (1/N) sum_n sum_p delta_{q_L}[c, p] d cols_{q_L}[p, k] / d theta_{q_P} (z_{q_L} is bilinear
//    in its weights and input, and a_{q_L} is a gather of z_{q_P}: one patch row of q_P per entry),
//    H = their sum; and the tail's rows x I_{q_P} as above with the vectors taken from x down to
//    q_L's input (its transpose; the unit rows of K_1 as W rows at their patch entries);
//  * any other rectangle below a square, rows [end of q, b) x I_q: the R-operator route's
//    rectangle path, whose column blocks of layer q need neither the forward through layer q nor
//    the accumulation over layer q's positions (rows start after it); mirrored into the upper part.
// Every kind keeps its own computation where one exists (H never formed as G + R except in the
// q_L x q_P block, whose two products H would repeat; H's Gram is the same product as G's only
// where R is exactly zero), so a matrix's numbers do not depend on what is assembled beside it,
// nor on the thread count (fixed sample groups, unit groups, column chunks and output tiles,
// threads.h); the tests compare every piece with the R-operator route.
//
// Cost (flops, per kind unless shared): tail as curvature.h; each pre-tail square
// M_q^2 N k (the Gram, half by symmetry, shared by H and G) + k backward passes per sample from
// the output to layer q + one (k C_q x P_q)(P_q x K_q) GEMM per sample; the tail rows x I_q
// 2 |tail| |I_q| N (term one, per kind with an E: H, G, R only where the tail's activation has
// curvature) + 2 |tail rows with a K-term| |I_q| N / C_q (term two, once for H and R) + the
// gathers (and for q_P the vectors' pass through q_L's transpose), ~0.3 dgemm-units on E4; the
// q_L x q_P block 2 M_L M_P N k + its bilinear term 2 M_L (K_P + 1) N P_L; each R-operator
// rectangle |I_q| x N x (forward + backward flops of the layers after q).
// Workspace (conv_slabs_workspace_bytes): budget::kTangentBytes for a chunk of Gram rows (sample
// chunks are cut to fit), per-thread backward buffers, a float64 staging square M_q^2 for float32
// outputs, the primal pass with its deltas; for the tail rows a float64 staging of one column chunk
// per kind (budget::kTailRectangleBytes), the tail's pass and E, one worker's Y buffers
// (budget::kTailUnits units x N x chunk columns, within budget::kSlabYBytes) and the layer's
// patches of all samples when they fit budget::kTangentBytes; for the q_L x q_P block two layers'
// Gram rows and patches of a sample chunk and its two blocks.
#pragma once

#include <vector>

#include "control.h"
#include "curvature.h"
#include "curvature_plumbing.h"
#include "sequential.h"

namespace hl {

/// Whether the conv slab route takes a validated request: not r_operator_only, a square on the
/// diagonal, H, G or R asked for, and a parameter before the MLP tail inside the square.
bool conv_slabs_take(const SequentialNet& net, const CurvatureRequest& request, const Rect& rect);

/// Assembles the request (as assemble_curvature, sequential_curvature.h) by the pieces above;
/// gradient covariance, if asked for, comes from the R-operator module's own path.
void assemble_conv_slabs(const SequentialNet& net, const double* params, const DataView& data,
                         const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control);

/// Bytes of workspace the Gram squares and the pieces below them add to the R-operator route's estimate.
double conv_slabs_workspace_bytes(const SequentialNet& net, Index N, const std::vector<CurvatureKind>& kinds, int threads);

/// The layer whose columns' rectangle below its square goes by the tail's input Jacobian (the last
/// parameter layer before the MLP tail), or -1 when the model has none.
Index conv_slabs_tail_rectangle_layer(const SequentialNet& net);

/// That piece alone (the tests compare it with the R-operator route and with the full assembly,
/// bitwise): rows [t0, row_end) from the tail's first parameter t0, columns inside that layer,
/// H, G and R only; output as assemble_curvature's (element (row, col) at
/// (row - row_begin) * ld + col - col_begin).
void assemble_tail_rectangle(const SequentialNet& net, const double* params, const DataView& data,
                             const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control);

}  // namespace hl
