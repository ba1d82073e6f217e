// Module entry: registers the wrapped classes and functions, and the per-environment data.
#include <napi.h>

#include "../core/dense_matrix.h"
#include "../core/eigensolver.h"
#include "../core/linalg.h"
#include "addon_data.h"
#include "cancel_token_wrap.h"
#include "curvature_functions.h"
#include "js_errors.h"
#include "matrix_wrap.h"

namespace hlnode {
namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw_type(info.Env(), "threads", "a number");
  hl::set_thread_count(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), hl::thread_count());
}

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
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("threads", Napi::Function::New<Threads>(env, "threads"));
  exports.Set("availableMemory", Napi::Function::New<AvailableMemory>(env, "availableMemory"));
  exports.Set("lapackIntegerBits", Napi::Number::New(env, 8 * sizeof(lapack_int)));
  return exports;
}

}  // namespace
}  // namespace hlnode

static Napi::Object InitHessianLab(Napi::Env env, Napi::Object exports) { return hlnode::Init(env, exports); }
NODE_API_MODULE(hessian_lab, InitHessianLab)
