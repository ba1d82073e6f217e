#include "promise_worker.h"

#include <cmath>
#include <cstring>

#include "cancel_token_wrap.h"
#include "js_errors.h"

namespace hlnode {

namespace {

// Checks the token and the progress callback before the base class exists: once it does, a throw
// from the constructor would destroy it under its thread-safe function, whose finalizer later
// runs on the freed worker (a use-after-free seen by the fuzz test).
const char* checked_job_args(Napi::Env env, const char* name, const Napi::Value& token, const Napi::Value& on_progress) {
  if (!token.IsUndefined() && !token.IsNull()) CancelTokenWrap::FlagOf(token);
  if (!on_progress.IsFunction() && !on_progress.IsUndefined() && !on_progress.IsNull()) throw_type(env, "onProgress", "a function");
  return name;
}

}  // namespace

PromiseWorker::PromiseWorker(Napi::Env env, const char* name, const Napi::Value& token, const Napi::Value& on_progress)
    : Napi::AsyncProgressQueueWorker<ProgressEvent>(env, checked_job_args(env, name, token, on_progress)),
      deferred_(Napi::Promise::Deferred::New(env)) {
  if (!token.IsUndefined() && !token.IsNull()) control_.cancelled = CancelTokenWrap::FlagOf(token);
  if (on_progress.IsFunction()) on_progress_ = Napi::Persistent(on_progress.As<Napi::Function>());
}

Napi::Promise PromiseWorker::Queue() {
  Napi::Promise p = deferred_.Promise();
  AsyncProgressQueueWorker::Queue();
  return p;
}

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
  failed_ = true;
  try {
    Run(control);
    failed_ = false;
  } catch (const hl::Error& e) {
    error_kind_ = e.kind();
    error_ = e.what();
  } catch (const std::bad_alloc&) {
    error_kind_ = hl::ErrorKind::OutOfMemory;
    error_ = "out of memory";
  } catch (const std::exception& e) {
    error_ = e.what();
  } catch (...) {
    error_ = "unknown native failure";
  }
}

bool can_call_into_js(Napi::Env env) {
  // Property access is one of the Node-API calls that check whether JavaScript may run (it can
  // call a getter); it fails with napi_pending_exception while the environment shuts down.
  napi_value global, value;
  return napi_get_global(env, &global) == napi_ok && napi_get_named_property(env, global, "undefined", &value) == napi_ok;
}

void PromiseWorker::OnProgress(const ProgressEvent* events, size_t count) {
  if (on_progress_.IsEmpty() || count == 0) return;
  try {
    Napi::Env env = Env();
    if (!can_call_into_js(env)) return;
    Napi::HandleScope scope(env);
    const ProgressEvent& ev = events[count - 1];
    on_progress_.Call({Napi::String::New(env, ev.stage), Napi::Number::New(env, ev.fraction)});
  } catch (...) {
    // A throwing progress callback must not take the job down; the error is dropped.
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  try {
    if (!can_call_into_js(env)) return;  // closing: the worker's destructor frees the baton
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(make_error(env, error_kind_, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(guard(env, [&] { return Resolve(env); }));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  } catch (...) {
    // Only reachable if the environment started closing during this callback: nobody is left to
    // tell, and an exception leaving a Node-API callback would abort the process.
  }
}

void PromiseWorker::OnError(const Napi::Error&) {
  // Not used: Execute never calls SetError (see failed_); kept for completeness.
  OnOK();
}

}  // namespace hlnode
