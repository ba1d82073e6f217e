// CancelToken: a JS object owning a shared atomic flag. The TypeScript layer creates one per job,
// calls cancel() when the caller's AbortSignal fires, and passes it to the native job, which
// polls the flag between blocks of work.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

namespace hlnode {

class CancelTokenWrap : public Napi::ObjectWrap<CancelTokenWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CancelTokenWrap(const Napi::CallbackInfo& info);
  /// The flag of a CancelToken value (TypeError if it is not one).
  static std::shared_ptr<std::atomic<bool>> FlagOf(const Napi::Value& v);

 private:
  Napi::Value JS_cancel(const Napi::CallbackInfo& info);
  Napi::Value JS_cancelled(const Napi::CallbackInfo& info);
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace hlnode
