// What a distributed solve needs on each rank, computed before anything is allocated, in 64-bit
// arithmetic: ScaLAPACK's integers are 32-bit, so a local matrix of 2^31 elements or more, or a
// workspace size that large, would wrap silently (pdsyevd's own query then returns a wrong small
// LWORK). The driver refuses such a plan naming the minimum rank count; the Node side calls
// `hessian_lab_mpi --plan` (no MPI needed) to check memory before it launches mpirun.
//
// Layout: a Pr x Pc grid (as square as the rank count allows, Pr <= Pc), nb x nb blocks, 2-D
// block-cyclic; rank (0, 0) holds the most (NP x NQ). Per-rank memory model (bytes):
//   data       8 M + 8 N d0 + 4 N                 (parameters and dataset, on every rank)
//   matrix     8 NP NQ                            (the local part of the matrix, lower triangle read)
//   assembly   2 * 8 w (M) + core workspace       (one panel piece and its transpose)
//   values     8 LWORK(pdsyev 'N') + 8 M
//   vectors    8 NP NQ (Z) + 8 LWORK(pdsyevd) + 4 LIWORK + 8 M, then 8 M g on rank 0 to write Z
//   peak       data + matrix + max(assembly, solve)
#pragma once

#include <cstdint>
#include <string>

namespace hlmpi {

using I64 = std::int64_t;

struct Grid {
  int rows = 1, cols = 1;
};

/// rows x cols = ranks with rows <= cols and rows the largest divisor <= sqrt(ranks).
Grid choose_grid(int ranks);

/// ScaLAPACK's NUMROC in 64-bit: how many of n entries (blocks of nb, starting at process 0)
/// process `iproc` of `nprocs` holds.
I64 numroc64(I64 n, I64 nb, I64 iproc, I64 nprocs);

/// pdsyev JOBZ='N' and pdsyevd JOBZ='V' workspaces for a rank holding np x nq (documented minima,
/// pdsyevd's enlarged by the bound that cured its hangs and wrong vectors; shared/EIGENSOLVERS).
I64 pdsyev_values_lwork(I64 n, I64 nb, I64 np);
I64 pdsyevd_lwork(I64 n, I64 nb, I64 np, I64 nq);
I64 pdsyevd_liwork(I64 n, int grid_cols);

struct Plan {
  I64 M = 0, N = 0, d0 = 0, nb = 64;
  int ranks = 1;
  Grid grid;
  bool vectors = false;
  I64 np = 0, nq = 0;        // rank (0, 0)'s local rows and columns (the largest)
  bool empty_rank = false;   // some rank would hold no data (fewer blocks than grid rows/cols)
  I64 panel_width = 0;       // w: columns each rank assembles per panel
  I64 panels = 0;
  I64 lwork = 0, liwork = 0;  // for rank (0, 0)
  double data_bytes = 0, matrix_bytes = 0, assembly_bytes = 0, solve_bytes = 0, peak_bytes = 0;
  std::string refusal;       // non-empty: the plan cannot run (32-bit limits), with the minimum ranks
  int min_ranks = 0;         // the smallest rank count whose plan passes the 32-bit limits

  std::string json() const;
};

/// `workspace_bytes`: the core's assembly workspace for one matrix (Backend::workspace_bytes).
Plan make_plan(I64 M, I64 N, I64 d0, I64 nb, int ranks, bool vectors, double workspace_bytes);

}  // namespace hlmpi
