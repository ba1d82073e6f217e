// Module entry: registers the wrapped classes and functions, and the per-environment data.
#include <napi.h>

#include <chrono>

#include "../core/dense_matrix.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"
#include "addon_data.h"
#include "cancel_token_wrap.h"
#include "curvature_functions.h"
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
    if (!info[0].IsNumber()) throw_type(env, "n", "a number");
    const hl::Index n = info[0].As<Napi::Number>().Int64Value();
    hl::require(n >= 1, "n must be >= 1");
    return Napi::Number::New(env, hl::dsyevd_workspace_query(n));
  });
}

// Seconds of one C = A B dgemm (m x k)(k x n) on warm, preallocated buffers: the same-run reference
// that `npm run bench` divides assembly times by.
Napi::Value BenchmarkGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    for (int i = 0; i < 3; ++i)
      if (!info[i].IsNumber()) throw_type(env, "m, n, k", "numbers");
    const hl::Index m = info[0].As<Napi::Number>().Int64Value(), n = info[1].As<Napi::Number>().Int64Value(),
                    k = info[2].As<Napi::Number>().Int64Value();
    hl::require(m >= 1 && n >= 1 && k >= 1, "m, n, k must be >= 1");
    const int threads = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0;
    hl::BlasThreads blas(hl::resolve_threads(threads));
    hl::DenseMatrix A(m, k, hl::Dtype::F64), B(k, n, hl::Dtype::F64), C(m, n, hl::Dtype::F64);
    for (hl::Index i = 0; i < m * k; ++i) A.f64()[i] = double(i % 7) - 3.0;
    for (hl::Index i = 0; i < k * n; ++i) B.f64()[i] = double(i % 5) - 2.0;
    const auto t0 = std::chrono::steady_clock::now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A.f64(), k, B.f64(), n, 0.0, C.f64(), n);
    return Napi::Number::New(env, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
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
