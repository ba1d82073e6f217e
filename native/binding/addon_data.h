// Per-environment state (one per Node.js environment / worker thread; nothing in statics): the
// constructors of the wrapped classes, for instanceof checks and for creating handles from C++.
#pragma once

#include <napi.h>

namespace hlnode {

struct AddonData {
  Napi::FunctionReference cancel_token;
  Napi::FunctionReference matrix;
  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace hlnode
