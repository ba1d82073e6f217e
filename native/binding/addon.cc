// Module entry: registers the wrapped classes and functions, and the per-environment data.
#include <napi.h>

#include <chrono>

#include "../core/checked_size.h"
#include "../core/dense_matrix.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"
#include "addon_data.h"
#include "cancel_token_wrap.h"
#include "curvature_functions.h"
#include "factor_functions.h"
#include "js_convert.h"
#include "js_errors.h"
#include "matrix_wrap.h"
#include "operator_functions.h"
#include "train_functions.h"

namespace hlnode {
namespace {

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), hl::thread_count()); }

Napi::Value AvailableMemory(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), hl::available_memory_bytes());
}

Napi::Value DsyevdWorkspaceQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const hl::Index n = integer_of(info[0], "n");
    hl::require(n >= 1 && n <= hl::kMaxSize, "n must be in [1, " + std::to_string(hl::kMaxSize) + "]");
    return Napi::Number::New(env, hl::dsyevd_workspace_query(n));
  });
}

// Seconds of one C = A B dgemm (m x k)(k x n) on warm, preallocated buffers: the same-run reference
// that `npm run bench` divides assembly times by.
Napi::Value BenchmarkGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const hl::Index m = integer_of(info[0], "m"), n = integer_of(info[1], "n"), k = integer_of(info[2], "k");
    hl::require(m >= 1 && n >= 1 && k >= 1, "m, n, k must be >= 1");
    const double bytes = 8.0 * (double(hl::checked_mul(m, k, "m * k")) + double(hl::checked_mul(k, n, "k * n")) +
                                double(hl::checked_mul(m, n, "m * n")));
    const double available = hl::available_memory_bytes();
    if (available > 0 && bytes > 0.9 * available)
      hl::fail(hl::ErrorKind::OutOfMemory, "benchmarkGemm needs " + std::to_string(bytes) + " bytes; " +
                                               std::to_string(available) + " are available");
    const hl::Index threads = info[3].IsUndefined() ? 0 : integer_of(info[3], "threads");
    hl::require(threads >= 0 && threads <= hl::kMaxThreads, "threads must be in [0, " + std::to_string(hl::kMaxThreads) + "]");
    hl::BlasThreads blas(hl::resolve_threads(static_cast<int>(threads)));
    hl::DenseMatrix A(m, k, hl::Dtype::F64), B(k, n, hl::Dtype::F64), C(m, n, hl::Dtype::F64);
    for (hl::Index i = 0; i < m * k; ++i) A.f64()[i] = double(i % 7) - 3.0;
    for (hl::Index i = 0; i < k * n; ++i) B.f64()[i] = double(i % 5) - 2.0;
    const auto t0 = std::chrono::steady_clock::now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A.f64(), k, B.f64(), n, 0.0, C.f64(), n);
    return Napi::Number::New(env, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  hl::single_threaded_blas_once();  // before any BLAS call (threads.h)
  auto* data = new AddonData();
  env.SetInstanceData(data);  // deleted by Node when the environment is torn down
  Napi::Function token = CancelTokenWrap::Define(env);
  Napi::Function matrix = MatrixWrap::Define(env);
  data->cancel_token = Napi::Persistent(token);
  data->matrix = Napi::Persistent(matrix);
  exports.Set("CancelToken", token);
  exports.Set("Matrix", matrix);
  exports.Set("assemble", Napi::Function::New<Assemble>(env, "assemble"));
  exports.Set("evaluate", Napi::Function::New<Evaluate>(env, "evaluate"));
  exports.Set("assemblyWorkspaceBytes", Napi::Function::New<AssemblyWorkspaceBytes>(env, "assemblyWorkspaceBytes"));
  exports.Set("eigenWorkspaceBytes", Napi::Function::New<EigenWorkspaceBytes>(env, "eigenWorkspaceBytes"));
  exports.Set("dsyevdWorkspaceQuery", Napi::Function::New<DsyevdWorkspaceQuery>(env, "dsyevdWorkspaceQuery"));
  exports.Set("curvatureProducts", Napi::Function::New<CurvatureProducts>(env, "curvatureProducts"));
  exports.Set("productsWorkspaceBytes", Napi::Function::New<ProductsWorkspaceBytes>(env, "productsWorkspaceBytes"));
  exports.Set("factorSpectrum", Napi::Function::New<FactorSpectrum>(env, "factorSpectrum"));
  exports.Set("factorPlan", Napi::Function::New<FactorPlan>(env, "factorPlan"));
  exports.Set("trainSegment", Napi::Function::New<TrainSegment>(env, "trainSegment"));
  exports.Set("trainMany", Napi::Function::New<TrainMany>(env, "trainMany"));
  exports.Set("evaluateMany", Napi::Function::New<EvaluateMany>(env, "evaluateMany"));
  exports.Set("benchmarkGemm", Napi::Function::New<BenchmarkGemm>(env, "benchmarkGemm"));
  exports.Set("threads", Napi::Function::New<Threads>(env, "threads"));
  exports.Set("availableMemory", Napi::Function::New<AvailableMemory>(env, "availableMemory"));
  exports.Set("lapackIntegerBits", Napi::Number::New(env, 8 * sizeof(lapack_int)));
  return exports;
}

}  // namespace
}  // namespace hlnode

static Napi::Object InitHessianLab(Napi::Env env, Napi::Object exports) { return hlnode::Init(env, exports); }
NODE_API_MODULE(hessian_lab, InitHessianLab)
