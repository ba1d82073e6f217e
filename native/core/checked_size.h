// Size arithmetic at the native boundary. Every product or sum of caller-given sizes (layer
// widths, kernels, paddings, matrix shapes, vector counts) goes through these before it sizes a
// buffer or an index: a 64-bit wrap-around would otherwise pass a length check (2^32 x 2^32 = 0)
// and turn into a short allocation read far past its end. Failures are InvalidArgument
// (RangeError in JavaScript) naming the quantity.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "errors.h"
#include "linalg.h"

namespace hl {

/// Largest size of one dimension, of one sample's activations, and of a parameter count: the
/// sequential kernels index a sample's values with 32-bit integers, and 2^31 - 1 parameters are
/// 16 GiB of weights alone.
constexpr Index kMaxSize = std::numeric_limits<std::int32_t>::max();

/// a * b for non-negative sizes; InvalidArgument "<what> overflows" when it exceeds `limit`.
inline Index checked_mul(Index a, Index b, const char* what, Index limit = std::numeric_limits<Index>::max()) {
  Index r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > limit)
    fail(ErrorKind::InvalidArgument, std::string(what) + " is too large: " + std::to_string(a) + " x " + std::to_string(b) +
                                         (r > limit && a >= 0 && b >= 0 ? " exceeds " + std::to_string(limit) : " overflows 64 bits"));
  return r;
}

/// a + b for non-negative sizes, checked like checked_mul.
inline Index checked_add(Index a, Index b, const char* what, Index limit = std::numeric_limits<Index>::max()) {
  Index r = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) || r > limit)
    fail(ErrorKind::InvalidArgument, std::string(what) + " is too large: " + std::to_string(a) + " + " + std::to_string(b) +
                                         (r > limit && a >= 0 && b >= 0 ? " exceeds " + std::to_string(limit) : " overflows 64 bits"));
  return r;
}

}  // namespace hl
