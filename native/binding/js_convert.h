// Conversions at the JS boundary: typed arrays are viewed in place (byteOffset honoured) for
// synchronous calls and copied into a job's baton for async ones; native result vectors leave as
// external ArrayBuffers that free themselves. Each check here is a
// cheap re-check of what the TypeScript layer already validated with friendlier messages.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../core/dense_matrix.h"
#include "../core/model.h"

namespace hlnode {

struct F64View { const double* data; size_t length; };
struct I32View { const std::int32_t* data; size_t length; };

F64View float64_view(const Napi::Value& v, const std::string& param);
I32View int32_view(const Napi::Value& v, const std::string& param);
/// A job's own copy of an input array, taken when the job starts: the caller may detach or
/// transfer the buffer (postMessage, structuredClone) while the job runs on another thread, so
/// jobs never read a typed array in place. O(size) next to the job's O(M N) or more.
std::vector<double> copy_of(const F64View& v);
std::vector<std::int32_t> copy_of(const I32View& v);
/// An integer-valued Number (no truncation of 5.9, no saturation of 1e300): TypeError for a
/// non-number, RangeError naming `param` otherwise.
hl::Index integer_of(const Napi::Value& v, const std::string& param);
/// "float64" | "float32", exactly (RangeError otherwise).
hl::Dtype parse_dtype(const std::string& name, const std::string& param);
/// A file path as a string without NUL bytes (C would cut the path at the first one).
std::string path_of(const Napi::Value& v, const std::string& param);
hl::MlpSpec parse_spec(const Napi::Value& v);
/// An MLP {layers, activation, loss, bias} or a sequential model {inputShape, layers, loss}.
hl::ModelSpec parse_model(const Napi::Value& v);
hl::Index get_index(const Napi::Object& o, const char* key, hl::Index fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
double get_number(const Napi::Object& o, const char* key, double fallback);
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback);

/// Moves a vector into a Float64Array backed by an external buffer (no copy).
Napi::Float64Array to_float64_array(Napi::Env env, std::vector<double>&& values);

}  // namespace hlnode
