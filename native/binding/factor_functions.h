// JS functions over the factor route (native/core/factor_spectrum.h): the exact spectrum of H, G,
// R or C without forming the M x M matrix (async), and its plan (rank bound, flops, bytes), which
// the TypeScript router compares with the dense route's before choosing.
#pragma once

#include <napi.h>

namespace hlnode {

/// factorSpectrum(model, params, X, y, {kind, vectors?}, token?, onProgress?)
///   -> Promise<{values (M, ascending), rank, driver, vectors?: Matrix (M x k), vectorIndex, factorSeconds, eigenSeconds, plan}>
Napi::Value FactorSpectrum(const Napi::CallbackInfo& info);
/// factorPlan(model, N, kind) -> {supported, refusal, M, N, lossRank, rank, largestBegin, largestEnd, basisColumns, flops, bytes}
Napi::Value FactorPlan(const Napi::CallbackInfo& info);

}  // namespace hlnode
