// Exact curvature of sequential models (convnets): H, G, R, C as in curvature.h, and the
// matrix-free products H V / G V as in hvp.h, for the models of sequential.h.
//
// Method. Column j of H is H e_j, computed by Pearlmutter's R-operator (forward-mode tangents,
// then the backward pass of the tangents) — exact to rounding, for any activation. Three things
// make it BLAS-3 and avoid the naive M full HVPs:
//  * columns go in blocks of B vectors that share every GEMM: tangent rows are (vector, sample)
//    pairs, so a layer's weights act on B*S rows at once; the parameter-direction terms (dW a,
//    dW^T delta, delta a^T) are one GEMM per layer over all B vectors;
//  * a block's columns lie in one parameter layer q: tangents are zero before q (the forward
//    starts there) and, with symmetry, only rows of layers >= q are needed (the backward stops
//    at q); the full square is assembled as its lower triangle by layer and mirrored, so the
//    result is exactly symmetric;
//  * H, G and R share the forward tangents; each has its own backward recursion:
//      G: delta' = H_l f'  then back-propagation with the Jacobians only;
//      R: delta' = 0, driven by the network's own second-order terms (dW^T delta, delta a'^T,
//         act'' z' delta) — so H = G + R is a real check of three recursions.
//    C = (1/N) sum_i g_i g_i^T comes from the per-sample gradients and one GEMM.
//  * unit-vector directions are injected by copying a patch column (no GEMM), and column blocks
//    run in parallel, one per thread with single-threaded BLAS (they are independent).
// Cost: per column block over the N samples, about (forward + 2 backward) flops of the layers
// from q on, times B, plus element-wise passes over the tangents; for S18's E4 convnet
// (M = 31,770, N = 1000) H takes several times one (M x N)(N x M) GEMM (bench/convnet.js). The
// MLP path (curvature.h) is faster for MLPs and stays theirs. Workspace: the primal pass of the
// N samples plus budget::kTangentBytes of tangents per thread (curvature_plumbing.h;
// assembly_workspace_bytes). Requests are checked by validate_request, as for MLPs.
// Blocking: any rectangle of rows x columns (parameter order) can be assembled alone; a square
// on the diagonal uses the symmetric path (exactly symmetric output). Output as in curvature.h.
// Route: a square on the diagonal that holds parameters before the MLP tail goes by the conv
// slab route (conv_slabs.h: each such layer's own block as a Gram product, the rectangles below
// the last two conv layers by the tail's input Jacobian and a cross Gram, other rectangles by this
// module's rectangle path, the tail by the MLP unit slabs) unless the request says
// r_operator_only, which keeps every block on the R-operator (the independent check).
#pragma once

#include <vector>

#include "control.h"
#include "curvature.h"
#include "hvp.h"
#include "sequential.h"

namespace hl {

void assemble_curvature(const SequentialNet& net, const double* params, const DataView& data,
                        const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control);

/// The MLP tail of a sequential model: its trailing layers when they read linear, act, linear,
/// ..., linear with one activation kind between every pair (or none anywhere) and a bias on all
/// of them or none (the E4 convnet's flatten -> fc -> relu -> fc). Their parameters are the last
/// ones [t0, M), and the curvature restricted to them is exactly that of this MLP evaluated on
/// the tail's input activations (the earlier parameters held fixed), so the MLP's unit slabs
/// (curvature.h, ~1.5x one dgemm) assemble that block instead of the R-operator.
struct MlpTail {
  Index first = -1;  // layer index of the tail's first linear layer; -1: no tail
  Index t0 = 0;      // its first parameter
  MlpSpec spec;      // the tail as an MLP on a_first (its parameters are params + t0)
};
MlpTail mlp_tail(const SequentialNet& net);

/// The first parameter of the model's MLP tail (its trailing linear layers that the MLP unit
/// slabs assemble), or M when it has none.
Index mlp_tail_begin(const SequentialNet& net);

double assembly_workspace_bytes(const SequentialNet& net, Index N, const std::vector<CurvatureKind>& kinds, int threads = 0);

/// out (k*M) = A V for A = H or G of the mean loss over the requested samples (hvp.h's contract).
void curvature_products(const SequentialNet& net, const double* params, const DataView& data,
                        const ProductRequest& request, const double* V, Index k, double* out, const Control& control);

double products_workspace_bytes(const SequentialNet& net, Index B, Index k);

}  // namespace hl
