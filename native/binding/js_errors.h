// The binding's exception policy: the core throws hl::Error; every JS entry point runs inside
// `guard`, which turns it into the JS class that fits (RangeError for a bad value or too little
// memory, TypeError for a wrong type, an Error named AbortError for cancellation, Error otherwise)
// with a `code` property (ERR_HL_*). Nothing escapes as a C++ exception into Node.
#pragma once

#include <napi.h>

#include <string>

#include "../core/errors.h"

namespace hlnode {

Napi::Error make_error(Napi::Env env, hl::ErrorKind kind, const std::string& message);

/// A TypeError naming the parameter: "<param> must be <expected>".
[[noreturn]] void throw_type(Napi::Env env, const std::string& param, const std::string& expected);

template <typename F>
auto guard(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const hl::Error& e) {
    throw make_error(env, e.kind(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, hl::ErrorKind::OutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    throw make_error(env, hl::ErrorKind::Numerical, e.what());
  }
}

}  // namespace hlnode
