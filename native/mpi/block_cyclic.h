// The distributed matrix of the MPI driver and the three things done to it: assembly (the lower
// triangle, through the core in large panels, then redistributed), the ScaLAPACK solve, and the
// eigenvectors' trip to rank 0's .npy.
//
// Assembly. The lower triangle goes in column panels [a, b) of P*w columns (plan.h's w): rank p
// asks the core for rows [a, M) x its w columns [a + p w, a + (p+1) w) as ONE rectangle, so each
// rank runs one forward/backward pass per panel (a few per matrix), never one per nb x nb tile.
// Narrow column ranges are the core's cheap direction (convnet columns cost one tangent pass
// each). The row-major piece is transposed to column-major, viewed as the panel distributed 1 x P
// (block w), and pdgemr2d moves it into the Pr x Pc block-cyclic matrix. Entries above the
// diagonal that a piece also covers are written too; the solvers read the lower triangle only.
//
// Solve. Values: pdsyev JOBZ='N' (robust on every small/awkward grid tried, ~2x the local matrix).
// Vectors: pdsyevd with LWORK = max(its query, plan.h's enlarged bound). INFO is reduced over all
// ranks; a bad argument ends the job in pxerbla_ (driver.cc).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backend.h"
#include "plan.h"

namespace hlmpi {

/// One BLACS grid; myrow = mycol = -1 on processes outside it.
struct Context {
  int ictxt = -1, rows = 0, cols = 0, myrow = -1, mycol = -1;
  bool member() const { return myrow >= 0 && mycol >= 0; }
};
Context make_context(int rows, int cols);
void free_context(Context& c);

struct DistributedMatrix {
  I64 n = 0, nb = 0, np = 0, nq = 0;
  int desc[9] = {0};
  std::vector<double> local;  // np x nq column-major, lld = max(1, np)
};
DistributedMatrix make_matrix(I64 n, I64 nb, const Context& grid);

/// The problem every rank holds after rank 0's broadcast.
struct Problem {
  const Backend* backend = nullptr;
  std::vector<double> params, X;
  std::vector<std::int32_t> y;
  I64 N = 0;
};

struct AssemblyTimes {
  double core = 0, redistribute = 0;
};

/// Fills A's lower triangle with `kind`; `row` is the 1 x P grid of all ranks. progress(f) on rank 0.
AssemblyTimes assemble_lower(const Problem& problem, const std::string& kind, const Plan& plan, const Context& row,
                             DistributedMatrix& A, const std::function<void(double)>& progress);

/// Eigenvalues (ascending, on every rank). With `Z` non-null, eigenvectors into Z (same layout as A).
/// A is overwritten. Returns the ScaLAPACK routine's name and sets lwork to the LWORK passed (this
/// rank's). Throws on INFO != 0 on any rank.
std::string solve(DistributedMatrix& A, DistributedMatrix* Z, const Context& grid, std::vector<double>& values,
                  int fault_rank, I64& lwork);

/// Writes Z (M x M, eigenvector j in column j) as a Fortran-order .npy on rank 0, moving column
/// panels of at most `panel_bytes` to rank 0 with pdgemr2d.
void write_vectors(const DistributedMatrix& Z, const Context& all, const std::string& path, double panel_bytes);

}  // namespace hlmpi
