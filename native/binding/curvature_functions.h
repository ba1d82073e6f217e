// JS functions over the curvature core: assemble (async, resolves Matrix handles), evaluate
// (loss, gradient, per-sample gradients; O(M N), synchronous), and the memory estimates the
// TypeScript guard uses before asking for an allocation; and the check of (model, params, X, y)
// that every binding function taking a model and its data shares.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "../core/model.h"
#include "js_convert.h"

namespace hlnode {

/// A job's model and data, copied out of the caller's typed arrays (js_convert.h: copy_of).
struct ModelInputs {
  hl::ModelSpec spec;
  std::vector<double> params, X;
  std::vector<std::int32_t> y;
  hl::DataView data() const { return {X.data(), y.data(), static_cast<hl::Index>(y.size())}; }
};

/// Checks (model, params, X, y) from info[0..3] in place: shapes (N * inputs without overflow),
/// then values (hl::validate_inputs). Every function taking a model and its data calls this.
void check_model_inputs(const Napi::CallbackInfo& info, hl::ModelSpec& spec, F64View& params, F64View& X, I32View& y);
/// check_model_inputs, then copies the arrays for a job.
ModelInputs read_model_inputs(const Napi::CallbackInfo& info);

/// assemble(model, params, X, y, {kinds, dtype, rowBegin?, rowEnd?, colBegin?, colEnd?}, token?, onProgress?)
///   -> Promise<{matrices, seconds (assembly), allocationSeconds (first touch of the outputs)}>
Napi::Value Assemble(const Napi::CallbackInfo& info);
/// evaluate(model, params, X, y, {perSample}) -> {loss, losses, outputs (N x k), gradient, perSampleGradients?}
Napi::Value Evaluate(const Napi::CallbackInfo& info);
/// assemblyWorkspaceBytes(model, N, kinds) -> number
Napi::Value AssemblyWorkspaceBytes(const Napi::CallbackInfo& info);
/// eigenWorkspaceBytes(n, dtype, {vectors, first, last}) -> number
Napi::Value EigenWorkspaceBytes(const Napi::CallbackInfo& info);

}  // namespace hlnode
