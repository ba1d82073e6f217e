// JS functions over the matrix-free curvature products (core/hvp.h): the operator behind the
// approximate methods of src/approx. Stateless: each call re-runs the forward pass, so inputs
// are read in place and nothing native outlives the Promise.
#pragma once

#include <napi.h>

namespace hlnode {

/// curvatureProducts(model, params, X, y, {kind: 'hessian'|'ggn', samples?: Int32Array},
///                   vectors: Float64Array (count*M), count, token?, onProgress?) -> Promise<Float64Array (count*M)>
Napi::Value CurvatureProducts(const Napi::CallbackInfo& info);
/// productsWorkspaceBytes(model, B, count) -> number
Napi::Value ProductsWorkspaceBytes(const Napi::CallbackInfo& info);

}  // namespace hlnode
