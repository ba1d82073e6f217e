// One exception policy for the whole core: every failure is a hl::Error carrying a kind that the
// binding maps to a JavaScript class (InvalidArgument -> RangeError, OutOfMemory -> RangeError,
// Cancelled -> AbortError, Numerical/Lapack -> Error). Code throws and never keeps going after a
// throw; nothing in the core calls abort() or exit().
#pragma once

#include <stdexcept>
#include <string>

namespace hl {

enum class ErrorKind { InvalidArgument, OutOfMemory, Cancelled, Numerical, Lapack, Io };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

/// One-line guard for preconditions; the message names the parameter.
inline void require(bool ok, const std::string& message) {
  if (!ok) fail(ErrorKind::InvalidArgument, message);
}

}  // namespace hl
