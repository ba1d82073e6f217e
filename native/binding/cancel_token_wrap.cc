#include "cancel_token_wrap.h"

#include "addon_data.h"
#include "js_errors.h"

namespace hlnode {

Napi::Function CancelTokenWrap::Define(Napi::Env env) {
  return DefineClass(env, "CancelToken",
                     {InstanceMethod<&CancelTokenWrap::JS_cancel>("cancel"),
                      InstanceAccessor<&CancelTokenWrap::JS_cancelled>("cancelled")});
}

CancelTokenWrap::CancelTokenWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelTokenWrap>(info) {}

std::shared_ptr<std::atomic<bool>> CancelTokenWrap::FlagOf(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(AddonData::Of(env).cancel_token.Value()))
    throw_type(env, "cancel token", "a CancelToken");
  return Unwrap(v.As<Napi::Object>())->flag_;
}

Napi::Value CancelTokenWrap::JS_cancel(const Napi::CallbackInfo& info) {
  flag_->store(true);
  return info.Env().Undefined();
}

Napi::Value CancelTokenWrap::JS_cancelled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), flag_->load());
}

}  // namespace hlnode
