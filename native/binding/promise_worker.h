// Base of every long-running native job: an AsyncProgressQueueWorker that resolves a Promise.
//
// Pattern (node-addon-examples async_work_promise, sharp's stats): the JS entry point copies or
// references its inputs into the worker's own fields (the "baton") before queueing; Run() works
// on those fields only, on a libuv thread, and never touches a JS value; Resolve() builds the JS
// result on the main thread. Progress goes through the thread-safe queue to an optional JS
// callback (stage, fraction), at most once per percent. Cancellation is a shared atomic flag set
// by a CancelToken; a cancelled job rejects with an AbortError.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "../core/control.h"

namespace hlnode {

struct ProgressEvent {
  char stage[32];
  double fraction;
};

class PromiseWorker : public Napi::AsyncProgressQueueWorker<ProgressEvent> {
 public:
  Napi::Promise Queue();

 protected:
  /// token: a CancelToken object or undefined; on_progress: a function or undefined.
  PromiseWorker(Napi::Env env, const char* name, const Napi::Value& token, const Napi::Value& on_progress);

  virtual void Run(const hl::Control& control) = 0;
  virtual Napi::Value Resolve(Napi::Env env) = 0;
  /// Keeps a JS value (an input typed array) alive until the job ends.
  void Keep(const Napi::Value& v);

 private:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const ProgressEvent* events, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  std::vector<Napi::Reference<Napi::Value>> kept_;
  hl::Control control_;
  hl::ErrorKind error_kind_ = hl::ErrorKind::Numerical;
};

}  // namespace hlnode
