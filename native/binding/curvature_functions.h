// JS functions over the curvature core: assemble (async, resolves Matrix handles), evaluate
// (loss, gradient, per-sample gradients; O(M N), synchronous), and the memory estimates the
// TypeScript guard uses before asking for an allocation.
#pragma once

#include <napi.h>

namespace hlnode {

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
