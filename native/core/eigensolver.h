// Symmetric eigensolvers behind one interface (LAPACKE, 64-bit integers; see linalg.h).
//
// Contract:
//  * reads the lower triangle of the column-major view (= the upper triangle of our row-major
//    storage; the matrix is symmetric, so both hold the same numbers);
//  * eigenvalues ascending; eigenvectors orthonormal, eigenvector j in column j of an n x k
//    column-major matrix (numpy.linalg.eigh's layout);
//  * the input matrix is left unchanged: value-only and MRRR solves run in place on one triangle
//    and the triangle is restored from the other afterwards (extra memory O(n)); divide-and-
//    conquer with vectors works on the eigenvector buffer itself (extra n² + LAPACK workspace);
//  * precision = the matrix's dtype (float32 via ssyev*, float64 via dsyev*).
//
// Drivers (chosen by measurement on 2-core machines: docs/eigensolvers.md):
//  * Auto, values only  -> dsyevd_2stage (~2x faster than dsyevd for n >= 4000); ssyevd for float32.
//  * Auto, all vectors  -> dsyevd (divide and conquer; orthogonality ~1e-14 on Hessian-like spectra);
//                          dsyevr when dsyevd's 2n² workspace does not fit in memory.
//  * index range        -> dsyevr RANGE='I' (still pays the O(n³) tridiagonalisation; MRRR is
//                          weaker on clustered spectra, so callers check residuals).
// LAPACKE_ssyevd's workspace query is rounded in float for n >~ 2,900; we always pass
// LWORK = 1 + 6n + 2n², LIWORK = 3 + 5n ourselves.
// Cost: O(n³) flops (4/3 n³ for the reduction, ~ 4/3 n³ more with vectors), not interruptible
// inside LAPACK: cancellation is checked before and after the call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "control.h"
#include "dense_matrix.h"

namespace hl {

enum class EigenDriver { Auto, Syevd, Syevd2Stage, Syevr };
EigenDriver parse_driver(const std::string& name);  // auto | syevd | syevd_2stage | syevr

struct EigenRequest {
  bool vectors = false;
  Index first = -1, last = -1;  // 0-based inclusive index range in ascending order; -1 = all
  EigenDriver driver = EigenDriver::Auto;
  int threads = 0;  // OpenBLAS threads for this solve (0 = all cores); one threaded solve at a time (threads.h)
};

struct EigenResult {
  std::vector<double> values;             // ascending
  std::unique_ptr<DenseMatrix> vectors;   // n x k, column-major, or null
  std::string driver;                     // the LAPACK routine that ran, e.g. "dsyevd_2stage"
};

/// `vectors_into`, when given, is the n x k column-major matrix the eigenvectors are written to
/// (k = last - first + 1 for a range, else n); the helper process passes shared memory there.
EigenResult solve_symmetric(DenseMatrix& a, const EigenRequest& request, const Control& control,
                            std::unique_ptr<DenseMatrix> vectors_into = nullptr);

/// Columns of the eigenvector matrix solve_symmetric returns for this request.
inline Index eigenvector_count(Index n, const EigenRequest& request) {
  return request.first >= 0 ? request.last - request.first + 1 : n;
}

/// Bytes solve_symmetric allocates besides the input (eigenvectors included).
double eigen_workspace_bytes(Index n, Dtype dtype, const EigenRequest& request);

/// LWORK that dsyevd returns from a workspace query for jobz 'V' at order n (without allocating
/// the matrix): proves the 64-bit path, since for n >= 32,767 it exceeds 2^31.
double dsyevd_workspace_query(Index n);

}  // namespace hl
