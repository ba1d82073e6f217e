#include "js_errors.h"

namespace hlnode {

Napi::Error make_error(Napi::Env env, hl::ErrorKind kind, const std::string& message) {
  Napi::Error err;
  const char* code = "ERR_HL_INTERNAL";
  switch (kind) {
    case hl::ErrorKind::InvalidArgument: err = Napi::RangeError::New(env, message); code = "ERR_HL_INVALID_ARGUMENT"; break;
    case hl::ErrorKind::OutOfMemory: err = Napi::RangeError::New(env, message); code = "ERR_HL_OUT_OF_MEMORY"; break;
    case hl::ErrorKind::Cancelled:
      err = Napi::Error::New(env, "The operation was aborted");
      err.Set("name", Napi::String::New(env, "AbortError"));
      code = "ABORT_ERR";
      break;
    case hl::ErrorKind::Numerical: err = Napi::Error::New(env, message); code = "ERR_HL_NUMERICAL"; break;
    case hl::ErrorKind::Lapack: err = Napi::Error::New(env, message); code = "ERR_HL_LAPACK"; break;
    case hl::ErrorKind::Io: err = Napi::Error::New(env, message); code = "ERR_HL_IO"; break;
  }
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void throw_type(Napi::Env env, const std::string& param, const std::string& expected) {
  throw Napi::TypeError::New(env, param + " must be " + expected);
}

}  // namespace hlnode
