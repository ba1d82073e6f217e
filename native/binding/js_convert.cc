#include "js_convert.h"

#include <cmath>

#include "js_errors.h"

namespace hlnode {

F64View float64_view(const Napi::Value& v, const std::string& param) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw_type(v.Env(), param, "a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  return {a.Data(), a.ElementLength()};
}

I32View int32_view(const Napi::Value& v, const std::string& param) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(v.Env(), param, "an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return {a.Data(), a.ElementLength()};
}

std::vector<double> copy_of(const F64View& v) { return std::vector<double>(v.data, v.data + v.length); }
std::vector<std::int32_t> copy_of(const I32View& v) { return std::vector<std::int32_t>(v.data, v.data + v.length); }

hl::Index integer_of(const Napi::Value& v, const std::string& param) {
  if (!v.IsNumber()) throw_type(v.Env(), param, "an integer");
  const double d = v.As<Napi::Number>().DoubleValue();
  // |d| <= 2^53: every such integer-valued double is exact, and the sizes built from it are
  // then checked for overflow where they are multiplied (checked_size.h).
  if (!(std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740992.0)) {
    hl::fail(hl::ErrorKind::InvalidArgument, param + " must be an integer; received " + v.ToString().Utf8Value());
  }
  return static_cast<hl::Index>(d);
}

hl::Dtype parse_dtype(const std::string& name, const std::string& param) {
  if (name == "float64") return hl::Dtype::F64;
  if (name == "float32") return hl::Dtype::F32;
  hl::fail(hl::ErrorKind::InvalidArgument, param + " must be float64 | float32; received \"" + name + "\"");
}

std::string path_of(const Napi::Value& v, const std::string& param) {
  if (!v.IsString()) throw_type(v.Env(), param, "a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  hl::require(!s.empty(), param + " must be a non-empty path");
  hl::require(s.find('\0') == std::string::npos, param + " must not contain NUL bytes");
  return s;
}

hl::Index get_index(const Napi::Object& o, const char* key, hl::Index fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  return integer_of(o.Get(key), key);
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw_type(o.Env(), key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

double get_number(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(o.Env(), key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw_type(o.Env(), key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

hl::MlpSpec parse_spec(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw_type(env, "model", "an object {layers, activation, loss, bias}");
  Napi::Object o = v.As<Napi::Object>();
  hl::MlpSpec spec;
  Napi::Value layers = o.Get("layers");
  if (!layers.IsArray()) throw_type(env, "model.layers", "an array of layer sizes");
  Napi::Array arr = layers.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value x = arr.Get(i);
    spec.layers.push_back(integer_of(x, "model.layers[" + std::to_string(i) + "]"));
  }
  spec.activation = hl::parse_activation(get_string(o, "activation", "relu"));
  spec.loss = hl::parse_loss(get_string(o, "loss", "cross_entropy"));
  spec.bias = get_bool(o, "bias", true);
  spec.validate();
  return spec;
}

namespace {

hl::Index pair_entry(const Napi::Object& o, const char* key, int which, const std::string& name, hl::Index fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsNumber()) return integer_of(v, name + "." + key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 2 || !v.As<Napi::Array>().Get(uint32_t(which)).IsNumber())
    throw_type(o.Env(), name + "." + key, "a number or a pair of numbers");
  return integer_of(v.As<Napi::Array>().Get(uint32_t(which)), name + "." + key + "[" + std::to_string(which) + "]");
}

hl::LayerSpec parse_layer(const Napi::Value& v, const std::string& name) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw_type(env, name, "an object {type, ...}");
  Napi::Object o = v.As<Napi::Object>();
  const std::string type = get_string(o, "type", "");
  hl::LayerSpec L;
  if (type == "conv2d" || type == "maxpool2d") {
    L.kind = type == "conv2d" ? hl::LayerKind::Conv2d : hl::LayerKind::MaxPool2d;
    L.kh = pair_entry(o, "kernel", 0, name, 0);
    L.kw = pair_entry(o, "kernel", 1, name, 0);
    L.sh = pair_entry(o, "stride", 0, name, L.kind == hl::LayerKind::Conv2d ? 1 : L.kh);
    L.sw = pair_entry(o, "stride", 1, name, L.kind == hl::LayerKind::Conv2d ? 1 : L.kw);
    L.ph = pair_entry(o, "padding", 0, name, 0);
    L.pw = pair_entry(o, "padding", 1, name, 0);
    if (L.kind == hl::LayerKind::Conv2d) {
      L.out = o.Has("outChannels") ? integer_of(o.Get("outChannels"), name + ".outChannels") : 0;
      L.bias = get_bool(o, "bias", true);
    }
  } else if (type == "linear") {
    L.kind = hl::LayerKind::Linear;
    L.out = o.Has("out") ? integer_of(o.Get("out"), name + ".out") : 0;
    L.bias = get_bool(o, "bias", true);
  } else if (type == "flatten") L.kind = hl::LayerKind::Flatten;
  else if (type == "relu") L.kind = hl::LayerKind::Relu;
  else if (type == "tanh") L.kind = hl::LayerKind::Tanh;
  else if (type == "sigmoid") L.kind = hl::LayerKind::Sigmoid;
  else if (type == "identity") L.kind = hl::LayerKind::Identity;
  else hl::fail(hl::ErrorKind::InvalidArgument, name + ".type must be one of conv2d | maxpool2d | flatten | linear | relu | "
                                                "tanh | sigmoid | identity; received \"" + type + "\"");
  return L;
}

}  // namespace

hl::ModelSpec parse_model(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw_type(env, "model", "an object");
  Napi::Object o = v.As<Napi::Object>();
  hl::ModelSpec model;
  if (!o.Has("inputShape")) {
    model.mlp = parse_spec(v);
    return model;
  }
  hl::SequentialSpec spec;
  Napi::Value shape = o.Get("inputShape");
  if (!shape.IsArray()) throw_type(env, "model.inputShape", "an array of sizes");
  Napi::Array s = shape.As<Napi::Array>();
  for (uint32_t i = 0; i < s.Length(); ++i) {
    spec.input_shape.push_back(integer_of(s.Get(i), "model.inputShape[" + std::to_string(i) + "]"));
  }
  Napi::Value layers = o.Get("layers");
  if (!layers.IsArray()) throw_type(env, "model.layers", "an array of layers");
  Napi::Array a = layers.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) spec.layers.push_back(parse_layer(a.Get(i), "model.layers[" + std::to_string(i) + "]"));
  spec.loss = hl::parse_loss(get_string(o, "loss", "cross_entropy"));
  model.sequential = std::make_shared<const hl::SequentialNet>(spec);  // validates every shape
  return model;
}

Napi::Float64Array to_float64_array(Napi::Env env, std::vector<double>&& values) {
  auto* owned = new std::vector<double>(std::move(values));
  if (owned->empty()) {
    delete owned;
    return Napi::Float64Array::New(env, 0);
  }
  auto buffer = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(double),
                                       [](Napi::Env, void*, std::vector<double>* v) { delete v; }, owned);
  return Napi::Float64Array::New(env, owned->size(), buffer, 0);
}

}  // namespace hlnode
