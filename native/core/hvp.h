// Matrix-free curvature-vector products of the mean training loss (see curvature.h for H and G):
//   Hessian:      out_j = H v_j       (Pearlmutter's R-operator: forward-over-backward)
//   Gauss-Newton: out_j = G v_j = (1/B) sum_i J_i^T H_l,i (J_i v_j)   (forward-mode J v, then back-prop)
// for a block of k vectors v_1..v_k at once, over the whole dataset or over a subset of samples
// (a mini-batch: B = number of selected samples, the mean is over those only).
//
// Why this shape. The approximate methods (Lanczos, SLQ, Hutchinson, ...) only touch the matrix
// through products; these let them run where the dense M x M matrix would not fit, and the
// same method on the dense matrix (Matrix.multiply) tells algorithmic error from mini-batch noise.
// Every step is batched over samples AND vectors so the work is GEMMs, not matrix-vector loops:
//  * products with the weights W_l are ONE GEMM over all (vector, sample) rows (k*B rows);
//  * products with a direction's weights V_l (different per vector) are one GEMM per vector over
//    all B samples;
//  * per-sample work is only the k x k output-space curvature H_l and the elementwise activations.
//
// Contract.
//  * Order: V and out hold k vectors of M entries one after another (vector j at [j*M, (j+1)*M)),
//    each in the parameter order of mlp.h (PyTorch parameters_to_vector) — the layout of
//    Matrix.multiply, so dense and matrix-free operators are interchangeable.
//  * Units: the curvature of the MEAN loss over the selected samples (the same scale as
//    assemble_curvature on the same samples; products agree with it to rounding, ~1e-13 relative).
//  * Cost: one forward+backward pass (~4 M B flops) per call, plus per vector ~8 M B flops (G) or
//    ~12 M B flops (H); memory ~ 8 bytes x k x B x (sum of layer widths) x 4, processed in chunks of
//    vectors that keep it under ~256 MB. Compare: a dense product is 2 M^2 flops per vector.
//  * Polls `control` between vector chunks and layers (cancellation throws Cancelled); reports
//    progress ("products", fraction of vectors done).
#pragma once

#include <cstdint>

#include "control.h"
#include "mlp.h"

namespace hl {

enum class ProductKind { Hessian = 0, GaussNewton = 1 };

struct ProductRequest {
  ProductKind kind = ProductKind::Hessian;
  const std::int32_t* samples = nullptr;  // indices into the dataset; nullptr = all samples in order
  Index sample_count = 0;                 // number of indices in `samples` (ignored when samples == nullptr)
  int threads = 0;                        // BLAS threads of this job (0 = all cores; threads.h)
};

/// out (k*M) = A V (k*M) for A = H or G of the mean loss over the requested samples.
/// params, data, V are read only; out must not alias V.
void curvature_products(const MlpSpec& spec, const double* params, const DataView& data, const ProductRequest& request,
                        const double* V, Index k, double* out, const Control& control);

/// Bytes of workspace curvature_products allocates for k vectors over B samples (outputs excluded).
double products_workspace_bytes(const MlpSpec& spec, Index B, Index k);

}  // namespace hl
