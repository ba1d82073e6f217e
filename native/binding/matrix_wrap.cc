#include "matrix_wrap.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../core/checked_size.h"
#include "../core/eigen_process.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"
#include "addon_data.h"
#include "js_convert.h"
#include "js_errors.h"
#include "promise_worker.h"

namespace hlnode {

namespace {

// Computes A v_j - lambda_j v_j column by column in chunks (one GEMM each) and returns the norms.
std::vector<double> eigen_residuals(hl::DenseMatrix& A, hl::DenseMatrix& V, const std::vector<double>& w,
                                    const hl::Control& control) {
  const hl::Index n = A.rows(), k = V.cols(), chunk = 128;
  std::vector<double> norms(k);
  std::vector<double> AV(n * std::min(k, chunk)), Vd(n * std::min(k, chunk));
  std::vector<float> AVf, Vf;
  for (hl::Index j0 = 0; j0 < k; j0 += chunk) {
    control.check();
    const hl::Index kk = std::min(chunk, k - j0);
    if (A.dtype() == hl::Dtype::F64) {
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, kk, n, 1.0, A.f64(), n, V.f64() + j0 * n, n, 0.0,
                  AV.data(), n);
      std::memcpy(Vd.data(), V.f64() + j0 * n, sizeof(double) * n * kk);
    } else {
      AVf.resize(n * kk);
      cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, kk, n, 1.0f, A.f32(), n, V.f32() + j0 * n, n, 0.0f,
                  AVf.data(), n);
      for (hl::Index t = 0; t < n * kk; ++t) { AV[t] = AVf[t]; Vd[t] = V.f32()[j0 * n + t]; }
    }
    for (hl::Index j = 0; j < kk; ++j) {
      double s = 0;
      for (hl::Index i = 0; i < n; ++i) {
        const double r = AV[j * n + i] - w[j0 + j] * Vd[j * n + i];
        s += r * r;
      }
      norms[j0 + j] = std::sqrt(s);
    }
  }
  return norms;
}

// LAPACK on a matrix with Inf/NaN entries returns garbage or fails to converge after O(n³) work:
// refuse it first, naming the entry (O(n²), next to the solve's O(n³)).
void require_finite_matrix(hl::DenseMatrix& A) {
  const hl::Index n = A.rows() * A.cols();
  for (hl::Index t = 0; t < n; ++t) {
    const double v = A.f64() ? A.f64()[t] : double(A.f32()[t]);
    if (!std::isfinite(v)) {
      const hl::Index i = A.column_major() ? t % A.rows() : t / A.cols(), j = A.column_major() ? t / A.rows() : t % A.cols();
      hl::fail(hl::ErrorKind::InvalidArgument, "eigen() needs a matrix of finite entries; entry (" + std::to_string(i) + ", " +
                                                   std::to_string(j) + ") is " + std::to_string(v));
    }
  }
}

class EigenWorker : public PromiseWorker {
 public:
  EigenWorker(const Napi::CallbackInfo& info, std::shared_ptr<hl::DenseMatrix> m, MatrixWrap::Lease lease,
              hl::EigenRequest req, bool residuals)
      : PromiseWorker(info.Env(), "hessian-lab:eigen", info[1], info[2]), m_(std::move(m)), lease_(std::move(lease)),
        req_(req), residuals_(residuals) {}

 protected:
  void Run(const hl::Control& control) override {
    require_finite_matrix(*m_);
    result_ = hl::solve_symmetric_stoppable(*m_, req_, control);
    if (residuals_ && result_.vectors) {
      hl::BlasThreads blas(hl::resolve_threads(req_.threads), &control);
      norms_ = eigen_residuals(*m_, *result_.vectors, result_.values, control);
    }
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("values", to_float64_array(env, std::move(result_.values)));
    out.Set("driver", Napi::String::New(env, result_.driver));
    if (result_.vectors) out.Set("vectors", MatrixWrap::New(env, std::move(result_.vectors)));
    if (!norms_.empty()) out.Set("residuals", to_float64_array(env, std::move(norms_)));
    return out;
  }

 private:
  std::shared_ptr<hl::DenseMatrix> m_;
  MatrixWrap::Lease lease_;
  hl::EigenRequest req_;
  bool residuals_;
  hl::EigenResult result_;
  std::vector<double> norms_;
};

class MultiplyWorker : public PromiseWorker {
 public:
  MultiplyWorker(const Napi::CallbackInfo& info, std::shared_ptr<hl::DenseMatrix> m, MatrixWrap::Lease lease,
                 std::vector<double> x, hl::Index k)
      : PromiseWorker(info.Env(), "hessian-lab:multiply", info[2], Napi::Value()), m_(std::move(m)),
        lease_(std::move(lease)), x_(std::move(x)), k_(k) {}

 protected:
  void Run(const hl::Control& control) override {
    control.check();
    hl::BlasThreads blas(hl::thread_count(), &control);  // one GEMM: OpenBLAS's threads (threads.h)
    const hl::Index rows = m_->rows(), cols = m_->cols();
    y_.assign(rows * k_, 0.0);
    // Vectors are column-major blocks (vector j at x[j * cols]); the matrix is row-major unless
    // it is an eigenvector matrix (column-major).
    const auto trans = m_->column_major() ? CblasNoTrans : CblasTrans;
    const hl::Index lda = m_->column_major() ? rows : cols;
    if (m_->dtype() == hl::Dtype::F64) {
      cblas_dgemm(CblasColMajor, trans, CblasNoTrans, rows, k_, cols, 1.0, m_->f64(), lda, x_.data(), cols, 0.0,
                  y_.data(), rows);
    } else {
      std::vector<float> xf(x_.begin(), x_.end()), yf(rows * k_);
      cblas_sgemm(CblasColMajor, trans, CblasNoTrans, rows, k_, cols, 1.0f, m_->f32(), lda, xf.data(), cols, 0.0f,
                  yf.data(), rows);
      std::copy(yf.begin(), yf.end(), y_.begin());
    }
    control.check();  // an abort that arrived during the GEMM rejects rather than resolves
  }
  Napi::Value Resolve(Napi::Env env) override { return to_float64_array(env, std::move(y_)); }

 private:
  std::shared_ptr<hl::DenseMatrix> m_;
  MatrixWrap::Lease lease_;
  std::vector<double> x_;
  hl::Index k_;
  std::vector<double> y_;
};

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(const Napi::CallbackInfo& info, std::shared_ptr<hl::DenseMatrix> m, MatrixWrap::Lease lease,
             std::string path)
      : PromiseWorker(info.Env(), "hessian-lab:save", Napi::Value(), Napi::Value()), m_(std::move(m)),
        lease_(std::move(lease)), path_(std::move(path)) {}

 protected:
  void Run(const hl::Control&) override { m_->save_npy(path_); }
  Napi::Value Resolve(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<hl::DenseMatrix> m_;
  MatrixWrap::Lease lease_;
  std::string path_;
};

}  // namespace

Napi::Function MatrixWrap::Define(Napi::Env env) {
  return DefineClass(env, "Matrix",
                     {StaticMethod<&MatrixWrap::JS_fromArray>("fromArray"),
                      InstanceAccessor<&MatrixWrap::JS_rows>("rows"),
                      InstanceAccessor<&MatrixWrap::JS_cols>("cols"),
                      InstanceAccessor<&MatrixWrap::JS_dtype>("dtype"),
                      InstanceAccessor<&MatrixWrap::JS_disposed>("disposed"),
                      InstanceMethod<&MatrixWrap::JS_block>("block"),
                      InstanceMethod<&MatrixWrap::JS_eigen>("eigen"),
                      InstanceMethod<&MatrixWrap::JS_multiply>("multiply"),
                      InstanceMethod<&MatrixWrap::JS_saveNpy>("saveNpy"),
                      InstanceMethod<&MatrixWrap::JS_dispose>("dispose")});
}

Napi::Object MatrixWrap::New(Napi::Env env, std::shared_ptr<hl::DenseMatrix> m) {
  auto* holder = new std::shared_ptr<hl::DenseMatrix>(std::move(m));
  auto ext = Napi::External<std::shared_ptr<hl::DenseMatrix>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<hl::DenseMatrix>* p) { delete p; });
  return AddonData::Of(env).matrix.New({ext});
}

MatrixWrap::MatrixWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MatrixWrap>(info), env_(info.Env()) {
  // Take the matrix out of the transfer holder rather than copying it: a copy left in the External
  // would keep the M x M buffer alive after dispose() until V8 happened to collect the External.
  if (info.Length() == 1 && info[0].IsExternal())
    m_ = std::move(*info[0].As<Napi::External<std::shared_ptr<hl::DenseMatrix>>>().Data());
  if (!m_) throw Napi::TypeError::New(info.Env(), "Matrix cannot be constructed directly; use Matrix.fromArray or assemble()");
  external_bytes_ = static_cast<int64_t>(m_->bytes());
  Napi::MemoryManagement::AdjustExternalMemory(env_, external_bytes_);
}

MatrixWrap::~MatrixWrap() { Release(); }

void MatrixWrap::Release() {
  // The raw call, status ignored: the node-addon-api wrapper aborts the process on failure, and a
  // finalizer may run while the environment is being torn down.
  int64_t ignored;
  if (external_bytes_ > 0) napi_adjust_external_memory(env_, -external_bytes_, &ignored);
  external_bytes_ = 0;
  m_.reset();  // a running job holds its own reference; the memory goes when it ends
}

std::pair<std::shared_ptr<hl::DenseMatrix>, MatrixWrap::Lease> MatrixWrap::ClaimOutput(Napi::Env env, const Napi::Value& v,
                                                                                     const std::string& param, hl::Index rows,
                                                                                     hl::Index cols, hl::Dtype dtype) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(AddonData::Of(env).matrix.Value()))
    throw_type(env, param, "a Matrix");
  MatrixWrap* w = MatrixWrap::Unwrap(v.As<Napi::Object>());
  std::shared_ptr<hl::DenseMatrix> m = w->Use(env, false);
  hl::require(m->rows() == rows && m->cols() == cols && !m->column_major() && m->dtype() == dtype,
              param + " must be a " + std::to_string(rows) + " x " + std::to_string(cols) + " " + hl::dtype_name(dtype) +
                  " matrix; received " + std::to_string(m->rows()) + " x " + std::to_string(m->cols()) + " " +
                  hl::dtype_name(m->dtype()) + (m->column_major() ? " (column-major)" : ""));
  w->Use(env, true);
  return {std::move(m), Lease(w->busy_)};
}

std::shared_ptr<hl::DenseMatrix> MatrixWrap::Use(Napi::Env env, bool claim) {
  if (!m_) throw Napi::Error::New(env, "this Matrix has been disposed");
  if (busy_->load()) throw Napi::Error::New(env, "this Matrix is busy with another operation; await it first");
  if (claim) busy_->store(true);
  return m_;
}

Napi::Value MatrixWrap::JS_fromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    F64View v = float64_view(info[0], "data");
    const hl::Index rows = integer_of(info[1], "rows"), cols = integer_of(info[2], "cols");
    hl::require(rows >= 1 && cols >= 1, "rows and cols must be >= 1");
    hl::require(static_cast<size_t>(hl::checked_mul(rows, cols, "rows * cols")) == v.length,
                "data must have rows * cols entries (row-major); received " + std::to_string(v.length) + " for " +
                    std::to_string(rows) + " x " + std::to_string(cols));
    if (!info[3].IsUndefined() && !info[3].IsString()) throw_type(env, "dtype", "a string (float64 | float32)");
    const bool f32 = info[3].IsString() && parse_dtype(info[3].As<Napi::String>().Utf8Value(), "dtype") == hl::Dtype::F32;
    auto m = std::make_shared<hl::DenseMatrix>(rows, cols, f32 ? hl::Dtype::F32 : hl::Dtype::F64);
    if (f32) std::copy(v.data, v.data + v.length, m->f32());
    else std::copy(v.data, v.data + v.length, m->f64());
    return New(env, std::move(m));
  });
}

Napi::Value MatrixWrap::JS_rows(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), m_ ? double(m_->rows()) : 0.0);
}
Napi::Value MatrixWrap::JS_cols(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), m_ ? double(m_->cols()) : 0.0);
}
Napi::Value MatrixWrap::JS_dtype(const Napi::CallbackInfo& info) {
  return m_ ? Napi::String::New(info.Env(), hl::dtype_name(m_->dtype())) : info.Env().Null();
}
Napi::Value MatrixWrap::JS_disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !m_); }

Napi::Value MatrixWrap::JS_block(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto m = Use(env, false);
    hl::Index r[4];
    for (int i = 0; i < 4; ++i) {
      if (!info[i].IsNumber()) throw_type(env, "block bounds", "four numbers (rowBegin, rowEnd, colBegin, colEnd)");
      r[i] = integer_of(info[i], "block bounds");
    }
    hl::require(0 <= r[0] && r[0] <= r[1] && r[1] <= m->rows() && 0 <= r[2] && r[2] <= r[3] && r[3] <= m->cols(),
                "block [" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + ") x [" + std::to_string(r[2]) + ", " +
                    std::to_string(r[3]) + ") is outside the " + std::to_string(m->rows()) + " x " +
                    std::to_string(m->cols()) + " matrix");
    std::vector<double> out((r[1] - r[0]) * (r[3] - r[2]));
    m->copy_block(r[0], r[1], r[2], r[3], out.data());
    return to_float64_array(env, std::move(out));
  });
}

Napi::Value MatrixWrap::JS_eigen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
    hl::EigenRequest req;
    req.vectors = get_bool(o, "vectors", false);
    req.first = get_index(o, "first", -1);
    req.last = get_index(o, "last", -1);
    req.driver = hl::parse_driver(get_string(o, "driver", "auto"));
    req.threads = static_cast<int>(std::clamp<hl::Index>(get_index(o, "threads", 0), -1, hl::kMaxThreads + 1));
    const bool residuals = get_bool(o, "residuals", false);
    auto m = Use(env, false);
    hl::require(m->rows() == m->cols(), "eigen() needs a square matrix");
    hl::require((req.first < 0) == (req.last < 0), "first and last must be given together");
    auto* w = new EigenWorker(info, m, Lease(busy_), req, residuals);
    Use(env, true);
    return w->Queue();
  });
}

Napi::Value MatrixWrap::JS_multiply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto m = Use(env, false);
    F64View x = float64_view(info[0], "vectors");
    const hl::Index k = integer_of(info[1], "count");
    hl::require(k >= 1 && static_cast<size_t>(hl::checked_mul(k, m->cols(), "count * cols")) == x.length,
                "vectors must hold count * " + std::to_string(m->cols()) + " entries; received " +
                    std::to_string(x.length));
    auto* w = new MultiplyWorker(info, m, Lease(busy_), copy_of(x), k);
    Use(env, true);
    return w->Queue();
  });
}

Napi::Value MatrixWrap::JS_saveNpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    std::string path = path_of(info[0], "path");
    auto m = Use(env, false);
    auto* w = new SaveWorker(info, m, Lease(busy_), std::move(path));
    Use(env, true);
    return w->Queue();
  });
}

Napi::Value MatrixWrap::JS_dispose(const Napi::CallbackInfo& info) {
  if (busy_->load()) throw Napi::Error::New(info.Env(), "this Matrix is busy with another operation; await it first");
  Release();
  return info.Env().Undefined();
}

}  // namespace hlnode
