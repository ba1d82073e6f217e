// Conversions at the JS boundary: typed arrays are viewed in place (byteOffset honoured, no copy),
// native result vectors leave as external ArrayBuffers that free themselves. Each check here is a
// cheap re-check of what the TypeScript layer already validated with friendlier messages.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../core/model.h"

namespace hlnode {

struct F64View { const double* data; size_t length; };
struct I32View { const std::int32_t* data; size_t length; };

F64View float64_view(const Napi::Value& v, const std::string& param);
I32View int32_view(const Napi::Value& v, const std::string& param);
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
