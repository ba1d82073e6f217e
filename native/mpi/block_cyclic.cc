#include "block_cyclic.h"

#include <mpi.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "npy_io.h"
#include "scalapack.h"

namespace hlmpi {

namespace {

int to_int(I64 v, const char* what) {
  if (v < 0 || v > 2147483647) throw std::runtime_error(std::string(what) + " exceeds ScaLAPACK's 32-bit integers");
  return static_cast<int>(v);
}

void describe(int* desc, I64 m, I64 n, I64 mb, I64 nb, const Context& ctx, I64 lld) {
  if (!ctx.member()) {  // pdgemr2d's convention for processes outside a grid
    std::fill(desc, desc + 9, 0);
    desc[1] = -1;
    return;
  }
  const int im = to_int(m, "rows"), in = to_int(n, "columns"), imb = to_int(mb, "block rows"),
            inb = to_int(nb, "block columns"), zero = 0, ild = to_int(std::max<I64>(1, lld), "LLD");
  int info = 0;
  descinit_(desc, &im, &in, &imb, &inb, &zero, &zero, &ctx.ictxt, &ild, &info);
  if (info != 0) throw std::runtime_error("descinit failed (INFO = " + std::to_string(info) + ")");
}

/// The largest |INFO| over all ranks, keeping its sign (INFO != 0 anywhere fails everywhere).
int reduce_info(int info) {
  int hi = 0, lo = 0;
  MPI_Allreduce(&info, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&info, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return lo < 0 ? lo : hi;
}

std::vector<double> allocate(I64 count, const char* what) {
  try {
    return std::vector<double>(static_cast<size_t>(std::max<I64>(count, 1)));
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(std::string("out of memory allocating ") + what + " (" + std::to_string(8 * count) + " bytes)");
  }
}

}  // namespace

Context make_context(int rows, int cols) {
  Context c;
  const int what = 0, minus_one = -1;
  blacs_get_(&minus_one, &what, &c.ictxt);
  blacs_gridinit_(&c.ictxt, "R", &rows, &cols, 1);
  int r = 0, q = 0;
  blacs_gridinfo_(&c.ictxt, &r, &q, &c.myrow, &c.mycol);
  c.rows = rows;
  c.cols = cols;
  return c;
}

void free_context(Context& c) {
  if (c.member()) blacs_gridexit_(&c.ictxt);
  c = Context{};
}

DistributedMatrix make_matrix(I64 n, I64 nb, const Context& grid) {
  DistributedMatrix A;
  A.n = n;
  A.nb = nb;
  A.np = numroc64(n, nb, grid.myrow, grid.rows);
  A.nq = numroc64(n, nb, grid.mycol, grid.cols);
  describe(A.desc, n, n, nb, nb, grid, A.np);
  A.local = allocate(A.np * A.nq, "the local matrix");
  return A;
}

AssemblyTimes assemble_lower(const Problem& problem, const std::string& kind, const Plan& plan, const Context& row,
                             DistributedMatrix& A, const std::function<void(double)>& progress) {
  AssemblyTimes t;
  const I64 M = plan.M, w = plan.panel_width, P = row.cols;
  std::vector<double> piece = allocate(M * w, "a panel piece"), panel = allocate(M * w, "a panel piece");
  for (I64 k = 0; k < plan.panels; ++k) {
    const I64 a = k * P * w, b = std::min(M, a + P * w), rows = M - a;
    const I64 c0 = std::min(b, a + row.mycol * w), c1 = std::min(b, c0 + w), width = c1 - c0;
    double start = MPI_Wtime();
    if (width > 0) {
      problem.backend->assemble(kind, problem.params.data(), problem.X.data(), problem.y.data(), problem.N, a, M, c0,
                                c1, piece.data(), width, [&](double f) {
                                  if (progress) progress((double(k) + f) / double(plan.panels));
                                });
      // Row-major rows x width -> column-major (lld = rows), in cache-sized tiles.
      const I64 T = 64;
      for (I64 i0 = 0; i0 < rows; i0 += T)
        for (I64 j0 = 0; j0 < width; j0 += T)
          for (I64 j = j0; j < std::min(width, j0 + T); ++j)
            for (I64 i = i0; i < std::min(rows, i0 + T); ++i) panel[size_t(i + j * rows)] = piece[size_t(i * width + j)];
    }
    t.core += MPI_Wtime() - start;
    start = MPI_Wtime();
    int desc[9];
    describe(desc, rows, b - a, rows, w, row, rows);
    const int m = to_int(rows, "rows"), n = to_int(b - a, "columns"), one = 1, at = to_int(a + 1, "offset");
    pdgemr2d_(&m, &n, panel.data(), &one, &one, desc, A.local.data(), &at, &at, A.desc, &row.ictxt);
    t.redistribute += MPI_Wtime() - start;
    if (progress) progress(double(k + 1) / double(plan.panels));
  }
  return t;
}

std::string solve(DistributedMatrix& A, DistributedMatrix* Z, const Context& grid, std::vector<double>& values,
                  int fault_rank, I64& lwork_used) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int n = to_int(A.n, "n"), one = 1, query = -1;
  values.assign(size_t(A.n), 0.0);
  int info = 0;
  double work_query = 0;
  const bool vectors = Z != nullptr;
  double dummy_z = 0;
  double* z = vectors ? Z->local.data() : &dummy_z;
  const int* descz = vectors ? Z->desc : A.desc;
  const char* jobz = vectors ? "V" : "N";
  int iwork_query = 0;
  if (vectors)
    pdsyevd_(jobz, "L", &n, A.local.data(), &one, &one, A.desc, values.data(), z, &one, &one, descz, &work_query,
             &query, &iwork_query, &query, &info, 1, 1);
  else
    pdsyev_(jobz, "L", &n, A.local.data(), &one, &one, A.desc, values.data(), z, &one, &one, descz, &work_query, &query,
            &info, 1, 1);
  info = reduce_info(info);
  if (info != 0) throw std::runtime_error(std::string(vectors ? "pdsyevd" : "pdsyev") + " workspace query failed (INFO = " + std::to_string(info) + ")");
  // Our own 64-bit bounds (plan.h) on top of the query: the query can be too small or wrapped.
  const I64 np = A.np, nq = A.nq;
  const I64 mine = vectors ? pdsyevd_lwork(A.n, A.nb, np, nq) : pdsyev_values_lwork(A.n, A.nb, np);
  const I64 lwork64 = std::max<I64>(mine, static_cast<I64>(work_query) + 1);
  int lwork = to_int(lwork64, "LWORK");
  lwork_used = lwork64;
  const int liwork = vectors ? to_int(std::max<I64>(pdsyevd_liwork(A.n, grid.cols), iwork_query), "LIWORK") : 0;
  std::vector<double> work = allocate(lwork, "the eigensolver workspace");
  std::vector<int> iwork(size_t(std::max(liwork, 1)));
  if (rank == fault_rank) lwork = 1;  // test hook: an illegal argument on one rank
  if (vectors)
    pdsyevd_(jobz, "L", &n, A.local.data(), &one, &one, A.desc, values.data(), z, &one, &one, descz, work.data(), &lwork,
             iwork.data(), &liwork, &info, 1, 1);
  else
    pdsyev_(jobz, "L", &n, A.local.data(), &one, &one, A.desc, values.data(), z, &one, &one, descz, work.data(), &lwork,
            &info, 1, 1);
  info = reduce_info(info);
  if (info != 0)
    throw std::runtime_error(std::string(vectors ? "pdsyevd" : "pdsyev") + " failed (INFO = " + std::to_string(info) +
                             (info > 0 ? ": the eigensolver did not converge)" : ")"));
  return vectors ? "pdsyevd" : "pdsyev";
}

void write_vectors(const DistributedMatrix& Z, const Context& all, const std::string& path, double panel_bytes) {
  Context root = make_context(1, 1);
  const I64 M = Z.n;
  const I64 g = std::max<I64>(1, std::min<I64>(M, static_cast<I64>(panel_bytes / (8.0 * M))));
  std::vector<double> buf;
  if (root.member()) buf = allocate(M * g, "the eigenvector panel");
  NpyWriter* writer = root.member() ? new NpyWriter(path, {M, M}, true) : nullptr;
  std::unique_ptr<NpyWriter> own(writer);
  for (I64 j0 = 0; j0 < M; j0 += g) {
    const I64 cols = std::min(g, M - j0);
    int desc[9];
    describe(desc, M, cols, M, cols, root, M);
    const int m = to_int(M, "n"), n = to_int(cols, "columns"), one = 1, at = to_int(j0 + 1, "offset");
    pdgemr2d_(&m, &n, Z.local.data(), &one, &at, Z.desc, buf.empty() ? nullptr : buf.data(), &one, &one, desc, &all.ictxt);
    if (writer) writer->write(buf.data(), M * cols);
  }
  if (writer) writer->close();
  free_context(root);
}

}  // namespace hlmpi
