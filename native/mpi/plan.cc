#include "plan.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace hlmpi {

namespace {

constexpr I64 kInt32Limit = 2147483647;  // ScaLAPACK's INTEGER
constexpr double kMinPanelBytes = 64.0 * 1024 * 1024;

I64 ceil_div(I64 a, I64 b) { return (a + b - 1) / b; }

struct Limits {
  I64 np, nq, lwork, liwork;
};

Limits limits_of(I64 M, I64 nb, Grid g, bool vectors) {
  Limits l;
  l.np = numroc64(M, nb, 0, g.rows);
  l.nq = numroc64(M, nb, 0, g.cols);
  l.lwork = vectors ? pdsyevd_lwork(M, nb, l.np, l.nq) : pdsyev_values_lwork(M, nb, l.np);
  l.liwork = vectors ? pdsyevd_liwork(M, g.cols) : 0;
  return l;
}

bool fits_int32(const Limits& l) {
  return l.np * l.nq <= kInt32Limit && l.lwork <= kInt32Limit && l.liwork <= kInt32Limit;
}

}  // namespace

Grid choose_grid(int ranks) {
  Grid g;
  for (int r = 1; static_cast<I64>(r) * r <= ranks; ++r)
    if (ranks % r == 0) g.rows = r;
  g.cols = ranks / g.rows;
  return g;
}

I64 numroc64(I64 n, I64 nb, I64 iproc, I64 nprocs) {
  const I64 blocks = n / nb;
  I64 num = (blocks / nprocs) * nb;
  const I64 extra = blocks % nprocs;
  if (iproc < extra) num += nb;
  else if (iproc == extra) num += n % nb;
  return num;
}

I64 pdsyev_values_lwork(I64 n, I64 nb, I64 np) {
  // pdsyev.f, JOBZ = 'N': 5N + SIZESYTRD + 1, SIZESYTRD = max(NB (NP + 1), 3 NB); doubled for the
  // reduction's internal panels (the query never asked for less than this in our runs).
  return 2 * (5 * n + std::max(nb * (np + 1), 3 * nb) + 1);
}

I64 pdsyevd_lwork(I64 n, I64 nb, I64 np, I64 nq) {
  const I64 trilwmin = 3 * n + std::max(nb * (np + 1), 3 * nb);
  const I64 documented = std::max(1 + 6 * n + 2 * np * nq, trilwmin) + 2 * n;
  // pdsyevd with its own query's LWORK can hang or return wrong vectors (INFO = 0) when a process
  // column holds less than about a block; this bound cured every case seen.
  const I64 enlarged = 2 * n + std::max(np * (nb + nq), (np + nq + 2 * nb) * nb + nb * nb);
  return std::max(documented, enlarged);
}

I64 pdsyevd_liwork(I64 n, int grid_cols) { return 7 * n + 8 * static_cast<I64>(grid_cols) + 2; }

Plan make_plan(I64 M, I64 N, I64 d0, I64 nb, int ranks, bool vectors, double workspace_bytes) {
  Plan p;
  p.M = M;
  p.N = N;
  p.d0 = d0;
  p.nb = nb;
  p.ranks = ranks;
  p.vectors = vectors;
  p.grid = choose_grid(ranks);
  const Limits l = limits_of(M, nb, p.grid, vectors);
  p.np = l.np;
  p.nq = l.nq;
  p.lwork = l.lwork;
  p.liwork = l.liwork;
  p.empty_rank = ceil_div(M, nb) < p.grid.rows || ceil_div(M, nb) < p.grid.cols;

  p.data_bytes = 8.0 * M + 8.0 * N * d0 + 4.0 * N;
  p.matrix_bytes = 8.0 * double(p.np) * double(p.nq);
  const double budget = std::max(kMinPanelBytes, p.matrix_bytes / 4);
  p.panel_width = std::max<I64>(1, std::min<I64>(ceil_div(M, ranks), static_cast<I64>(budget / (16.0 * M))));
  p.panels = ceil_div(M, p.panel_width * ranks);
  p.assembly_bytes = 16.0 * double(p.panel_width) * M + workspace_bytes;
  if (vectors) {
    const double gather = std::min(8.0 * M * M, std::max(8.0 * M * nb, kMinPanelBytes));
    p.solve_bytes = p.matrix_bytes + 8.0 * p.lwork + 4.0 * p.liwork + 8.0 * M + gather;
  } else {
    p.solve_bytes = 8.0 * p.lwork + 8.0 * M;
  }
  p.peak_bytes = p.data_bytes + p.matrix_bytes + std::max(p.assembly_bytes, p.solve_bytes);

  if (M > kInt32Limit / 2 || !fits_int32(l)) {
    int k = ranks + 1;
    for (; k < (1 << 22); ++k)
      if (fits_int32(limits_of(M, nb, choose_grid(k), vectors))) break;
    p.min_ranks = k;
    std::ostringstream s;
    s << "M = " << M << " on " << ranks << " rank(s) (grid " << p.grid.rows << " x " << p.grid.cols << ") needs a local "
      << p.np << " x " << p.nq << " matrix";
    s << " and " << (vectors ? "pdsyevd" : "pdsyev") << " LWORK = " << p.lwork
      << "; ScaLAPACK's 32-bit integers stop at 2^31 - 1: use at least " << k << " ranks";
    p.refusal = s.str();
  } else {
    p.min_ranks = ranks;
  }
  return p;
}

std::string Plan::json() const {
  std::ostringstream s;
  s.precision(17);
  s << "{\"M\":" << M << ",\"N\":" << N << ",\"ranks\":" << ranks << ",\"grid\":[" << grid.rows << "," << grid.cols
    << "],\"block\":" << nb << ",\"vectors\":" << (vectors ? "true" : "false") << ",\"local_rows\":" << np
    << ",\"local_cols\":" << nq << ",\"empty_rank\":" << (empty_rank ? "true" : "false")
    << ",\"panel_width\":" << panel_width << ",\"panels\":" << panels << ",\"lwork\":" << lwork
    << ",\"liwork\":" << liwork << ",\"bytes\":{\"data\":" << data_bytes << ",\"matrix\":" << matrix_bytes
    << ",\"assembly\":" << assembly_bytes << ",\"solve\":" << solve_bytes << ",\"peak\":" << peak_bytes
    << "},\"min_ranks\":" << min_ranks << ",\"refusal\":";
  if (refusal.empty()) s << "null";
  else s << "\"" << refusal << "\"";
  s << "}";
  return s.str();
}

}  // namespace hlmpi
