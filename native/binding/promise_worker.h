// Base of every long-running native job: an AsyncProgressQueueWorker that resolves a Promise.
//
// Pattern (node-addon-examples async_work_promise, sharp's stats): the JS entry point copies or
// references its inputs into the worker's own fields (the "baton") before queueing; Run() works
// on those fields only, on a libuv thread, and never touches a JS value; Resolve() builds the JS
// result on the main thread. Progress goes through the thread-safe queue to an optional JS
// callback (stage, fraction), at most once per percent. Cancellation is a shared atomic flag set
// by a CancelToken; a cancelled job rejects with an AbortError.
//
// Inputs are copied into the baton, never read in place (js_convert.h: copy_of), so a caller that
// detaches or transfers a buffer mid-job cannot pull memory from under Run().
//
// The completion and progress callbacks may run while their environment is being torn down (a
// worker thread terminated, or calling process.exit, with a job in flight): Node then finishes the
// job and calls back with JavaScript disallowed. They check for that first and only let the baton
// go (its destructor frees the job's memory), and no C++ exception ever leaves them: one escaping
// a Node-API callback is std::terminate, i.e. SIGABRT for the whole process.
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
  /// token: a CancelToken object or undefined; on_progress: a function or undefined. Derived
  /// constructors must not throw (the base's thread-safe function would outlive them): they
  /// take inputs already read and copied, by move.
  PromiseWorker(Napi::Env env, const char* name, const Napi::Value& token, const Napi::Value& on_progress);

  virtual void Run(const hl::Control& control) = 0;
  virtual Napi::Value Resolve(Napi::Env env) = 0;

 private:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const ProgressEvent* events, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  hl::Control control_;
  // The job's failure, kept here rather than in AsyncWorker::SetError: the base class would build
  // a Napi::Error from it before calling us, which throws in a closing environment.
  bool failed_ = false;
  std::string error_;
  hl::ErrorKind error_kind_ = hl::ErrorKind::Numerical;
};

/// False while `env` is being torn down (JavaScript disallowed): nothing can be resolved then.
bool can_call_into_js(Napi::Env env);

}  // namespace hlnode
