#include "promise_worker.h"

#include <cmath>
#include <cstring>

#include "cancel_token_wrap.h"
#include "js_errors.h"

namespace hlnode {

PromiseWorker::PromiseWorker(Napi::Env env, const char* name, const Napi::Value& token, const Napi::Value& on_progress)
    : Napi::AsyncProgressQueueWorker<ProgressEvent>(env, name), deferred_(Napi::Promise::Deferred::New(env)) {
  if (!token.IsUndefined() && !token.IsNull()) control_.cancelled = CancelTokenWrap::FlagOf(token);
  if (on_progress.IsFunction()) on_progress_ = Napi::Persistent(on_progress.As<Napi::Function>());
  else if (!on_progress.IsUndefined() && !on_progress.IsNull()) throw_type(env, "onProgress", "a function");
}

Napi::Promise PromiseWorker::Queue() {
  Napi::Promise p = deferred_.Promise();
  AsyncProgressQueueWorker::Queue();
  return p;
}

void PromiseWorker::Keep(const Napi::Value& v) { kept_.push_back(Napi::Persistent(v)); }

void PromiseWorker::Execute(const ExecutionProgress& progress) {
  hl::Control control = control_;
  std::string last_stage;
  double last_fraction = -1;
  if (!on_progress_.IsEmpty()) {
    control.progress = [&](const std::string& stage, double fraction) {
      if (stage == last_stage && fraction < 1.0 && fraction - last_fraction < 0.01) return;
      last_stage = stage;
      last_fraction = fraction;
      ProgressEvent ev{};
      std::strncpy(ev.stage, stage.c_str(), sizeof(ev.stage) - 1);
      ev.fraction = fraction;
      progress.Send(&ev, 1);
    };
  }
  try {
    Run(control);
  } catch (const hl::Error& e) {
    error_kind_ = e.kind();
    SetError(e.what());
  } catch (const std::bad_alloc&) {
    error_kind_ = hl::ErrorKind::OutOfMemory;
    SetError("out of memory");
  } catch (const std::exception& e) {
    SetError(e.what());
  }
}

void PromiseWorker::OnProgress(const ProgressEvent* events, size_t count) {
  if (on_progress_.IsEmpty() || count == 0) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  const ProgressEvent& ev = events[count - 1];
  try {
    on_progress_.Call({Napi::String::New(env, ev.stage), Napi::Number::New(env, ev.fraction)});
  } catch (const Napi::Error&) {
    // A throwing progress callback must not take the job down; the error is dropped.
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  try {
    deferred_.Resolve(guard(env, [&] { return Resolve(env); }));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void PromiseWorker::OnError(const Napi::Error& e) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  deferred_.Reject(make_error(env, error_kind_, e.Message()).Value());
}

}  // namespace hlnode
