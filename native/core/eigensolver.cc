#include "eigensolver.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "threads.h"

namespace hl {

EigenDriver parse_driver(const std::string& name) {
  if (name == "auto") return EigenDriver::Auto;
  if (name == "syevd") return EigenDriver::Syevd;
  if (name == "syevd_2stage") return EigenDriver::Syevd2Stage;
  if (name == "syevr") return EigenDriver::Syevr;
  fail(ErrorKind::InvalidArgument, "driver must be one of auto | syevd | syevd_2stage | syevr; received \"" + name + "\"");
}

namespace {

// The LAPACKE entry points for one precision.
template <typename T> struct Lapack;
template <> struct Lapack<double> {
  static constexpr const char* prefix = "d";
  static lapack_int syevd(char jobz, lapack_int n, double* a, double* w, double* work, lapack_int lwork,
                          lapack_int* iwork, lapack_int liwork) {
    return LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w, work, lwork, iwork, liwork);
  }
  static lapack_int syevd_2stage(lapack_int n, double* a, double* w, double* work, lapack_int lwork, lapack_int* iwork,
                                 lapack_int liwork) {
    return LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, n, w, work, lwork, iwork, liwork);
  }
  static lapack_int syevr(char jobz, char range, lapack_int n, double* a, lapack_int il, lapack_int iu, lapack_int* m,
                          double* w, double* z, lapack_int ldz, lapack_int* isuppz, double* work, lapack_int lwork,
                          lapack_int* iwork, lapack_int liwork) {
    return LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, jobz, range, 'L', n, a, n, 0.0, 0.0, il, iu, 0.0, m, w, z, ldz, isuppz,
                               work, lwork, iwork, liwork);
  }
};
template <> struct Lapack<float> {
  static constexpr const char* prefix = "s";
  static lapack_int syevd(char jobz, lapack_int n, float* a, float* w, float* work, lapack_int lwork,
                          lapack_int* iwork, lapack_int liwork) {
    return LAPACKE_ssyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w, work, lwork, iwork, liwork);
  }
  static lapack_int syevd_2stage(lapack_int n, float* a, float* w, float* work, lapack_int lwork, lapack_int* iwork,
                                 lapack_int liwork) {
    return LAPACKE_ssyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, n, w, work, lwork, iwork, liwork);
  }
  static lapack_int syevr(char jobz, char range, lapack_int n, float* a, lapack_int il, lapack_int iu, lapack_int* m,
                          float* w, float* z, lapack_int ldz, lapack_int* isuppz, float* work, lapack_int lwork,
                          lapack_int* iwork, lapack_int liwork) {
    return LAPACKE_ssyevr_work(LAPACK_COL_MAJOR, jobz, range, 'L', n, a, n, 0.0f, 0.0f, il, iu, 0.0f, m, w, z, ldz,
                               isuppz, work, lwork, iwork, liwork);
  }
};

// Exact workspace sizes from LAPACK's documentation (queries are rounded in float for float32).
double syevd_lwork(Index n, bool vectors) { return vectors ? 1.0 + 6.0 * n + 2.0 * double(n) * n : 2.0 * n + 1.0; }
double syevd_liwork(Index n, bool vectors) { return vectors ? 3.0 + 5.0 * n : 1.0; }

void check_info(lapack_int info, const std::string& routine) {
  if (info < 0) fail(ErrorKind::Lapack, routine + ": parameter " + std::to_string(-info) + " had an illegal value");
  if (info > 0)
    fail(ErrorKind::Numerical, routine + " failed to converge (info = " + std::to_string(info) + ")");
}

// The solvers destroy the lower triangle (column-major view) and the diagonal; the strict upper
// triangle is untouched, so we keep the diagonal and mirror the upper triangle back afterwards.
template <typename T>
struct TrianglePreserver {
  T* a;
  Index n;
  std::vector<T> diag;
  TrianglePreserver(T* a_, Index n_) : a(a_), n(n_), diag(n_) {
    for (Index i = 0; i < n; ++i) diag[i] = a[i * n + i];
  }
  ~TrianglePreserver() {
    for (Index j = 0; j < n; ++j) {
      a[j * n + j] = diag[j];
      for (Index i = j + 1; i < n; ++i) a[j * n + i] = a[i * n + j];
    }
  }
};

// The eigenvector matrix: the caller's (checked) or a new one.
std::unique_ptr<DenseMatrix> vectors_matrix(std::unique_ptr<DenseMatrix>& into, Index n, Index k, Dtype dtype) {
  if (!into) return std::make_unique<DenseMatrix>(n, k, dtype, true);
  require(into->rows() == n && into->cols() == k && into->dtype() == dtype && into->column_major(),
          "the eigenvector matrix given has the wrong shape");
  return std::move(into);
}

template <typename T>
EigenResult solve_typed(DenseMatrix& A, T* a, const EigenRequest& req, const Control& control,
                        std::unique_ptr<DenseMatrix>& into) {
  const Index n = A.rows();
  const bool ranged = req.first >= 0;
  EigenDriver driver = req.driver;
  if (driver == EigenDriver::Auto) {
    if (ranged) driver = EigenDriver::Syevr;
    else if (!req.vectors) driver = std::is_same<T, double>::value ? EigenDriver::Syevd2Stage : EigenDriver::Syevd;
    else {
      const double need = double(dtype_size(A.dtype())) * (double(n) * n + syevd_lwork(n, true));
      const double avail = available_memory_bytes();
      driver = (avail < 0 || need < 0.9 * avail) ? EigenDriver::Syevd : EigenDriver::Syevr;
    }
  }
  require(!(ranged && driver != EigenDriver::Syevr), "an index range needs the syevr driver");
  require(!(req.vectors && driver == EigenDriver::Syevd2Stage), "syevd_2stage computes eigenvalues only");
  EigenResult result;
  const std::string P = Lapack<T>::prefix;
  std::vector<T> w(n);
  control.report("eigensolve", 0.0);
  control.check();
  if (driver == EigenDriver::Syevd && req.vectors) {
    // Divide and conquer with vectors overwrites its input with them: run it on a copy.
    result.vectors = vectors_matrix(into, n, n, A.dtype());
    T* z = static_cast<T*>(result.vectors->raw());
    std::memcpy(z, a, sizeof(T) * n * n);
    std::vector<T> work(static_cast<size_t>(syevd_lwork(n, true)));
    std::vector<lapack_int> iwork(static_cast<size_t>(syevd_liwork(n, true)));
    check_info(Lapack<T>::syevd('V', n, z, w.data(), work.data(), work.size(), iwork.data(), iwork.size()), P + "syevd");
    result.driver = P + "syevd";
  } else if (driver == EigenDriver::Syevd || driver == EigenDriver::Syevd2Stage) {
    TrianglePreserver<T> keep(a, n);
    std::vector<lapack_int> iwork(1);
    std::vector<T> work(1);
    lapack_int lwork, liwork;
    if (driver == EigenDriver::Syevd2Stage) {
      T wq;
      lapack_int iq;
      check_info(Lapack<T>::syevd_2stage(n, a, w.data(), &wq, -1, &iq, -1), P + "syevd_2stage");
      lwork = static_cast<lapack_int>(wq) + 1;
      liwork = std::max<lapack_int>(iq, 1);
    } else {
      lwork = static_cast<lapack_int>(syevd_lwork(n, false));
      liwork = static_cast<lapack_int>(syevd_liwork(n, false));
    }
    work.resize(lwork);
    iwork.resize(liwork);
    if (driver == EigenDriver::Syevd2Stage) {
      check_info(Lapack<T>::syevd_2stage(n, a, w.data(), work.data(), lwork, iwork.data(), liwork), P + "syevd_2stage");
      result.driver = P + "syevd_2stage";
    } else {
      check_info(Lapack<T>::syevd('N', n, a, w.data(), work.data(), lwork, iwork.data(), liwork), P + "syevd");
      result.driver = P + "syevd";
    }
  } else {
    // MRRR: in place on one triangle, vectors into their own n x k buffer.
    const Index il = ranged ? req.first : 0, iu = ranged ? req.last : n - 1;
    require(0 <= il && il <= iu && iu < n, "eigenvalue index range must satisfy 0 <= first <= last < " +
                                               std::to_string(n) + "; received [" + std::to_string(il) + ", " +
                                               std::to_string(iu) + "]");
    const Index k = iu - il + 1;
    if (req.vectors) result.vectors = vectors_matrix(into, n, k, A.dtype());
    T* z = req.vectors ? static_cast<T*>(result.vectors->raw()) : nullptr;
    TrianglePreserver<T> keep(a, n);
    std::vector<lapack_int> isuppz(2 * std::max<Index>(k, 1));
    T wq;
    lapack_int iq, found = 0;
    const char jobz = req.vectors ? 'V' : 'N', range = ranged ? 'I' : 'A';
    check_info(Lapack<T>::syevr(jobz, range, n, a, il + 1, iu + 1, &found, w.data(), z, n, isuppz.data(), &wq, -1, &iq, -1),
               P + "syevr");
    std::vector<T> work(static_cast<size_t>(wq) + 1 + 26 * n);  // float-rounded query: pad with the documented minimum
    std::vector<lapack_int> iwork(std::max<lapack_int>(iq, 10 * n));
    check_info(Lapack<T>::syevr(jobz, range, n, a, il + 1, iu + 1, &found, w.data(), z, n, isuppz.data(), work.data(),
                                work.size(), iwork.data(), iwork.size()),
               P + "syevr");
    require(found == k, P + "syevr returned " + std::to_string(found) + " eigenvalues instead of " + std::to_string(k));
    w.resize(k);
    result.driver = P + "syevr";
  }
  control.check();
  result.values.assign(w.begin(), w.end());
  control.report("eigensolve", 1.0);
  return result;
}

}  // namespace

EigenResult solve_symmetric(DenseMatrix& a, const EigenRequest& request, const Control& control,
                            std::unique_ptr<DenseMatrix> vectors_into) {
  require(a.rows() == a.cols(), "the eigensolver needs a square matrix; received " + std::to_string(a.rows()) + " x " +
                                    std::to_string(a.cols()));
  require(a.rows() >= 1, "the matrix is empty");
  BlasThreads blas(resolve_threads(request.threads), &control);  // LAPACK's parallelism is OpenBLAS's
  return a.dtype() == Dtype::F64 ? solve_typed<double>(a, a.f64(), request, control, vectors_into)
                                 : solve_typed<float>(a, a.f32(), request, control, vectors_into);
}

double eigen_workspace_bytes(Index n, Dtype dtype, const EigenRequest& request) {
  const double s = dtype_size(dtype);
  const Index k = request.first >= 0 ? request.last - request.first + 1 : n;
  if (request.first >= 0 || !request.vectors) {
    return s * (double(n) * 28 + (request.vectors ? double(n) * k : 0.0)) + 8.0 * 10 * n + s * 2.0 * n * 64;
  }
  return s * (double(n) * n + syevd_lwork(n, true)) + 8.0 * syevd_liwork(n, true);
}

double dsyevd_workspace_query(Index n) {
  double wq = 0;
  lapack_int iq = 0;
  double w = 0;
  // LAPACK returns the sizes without touching A or W in a query (LWORK = -1).
  check_info(LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', n, nullptr, std::max<Index>(n, 1), &w, &wq, -1, &iq, -1),
             "dsyevd");
  return wq;
}

}  // namespace hl
