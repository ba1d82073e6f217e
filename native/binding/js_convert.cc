#include "js_convert.h"

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

hl::Index get_index(const Napi::Object& o, const char* key, hl::Index fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(o.Env(), key, "a number");
  return v.As<Napi::Number>().Int64Value();
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
    if (!x.IsNumber()) throw_type(env, "model.layers[" + std::to_string(i) + "]", "a number");
    spec.layers.push_back(x.As<Napi::Number>().Int64Value());
  }
  spec.activation = hl::parse_activation(get_string(o, "activation", "relu"));
  spec.loss = hl::parse_loss(get_string(o, "loss", "cross_entropy"));
  spec.bias = get_bool(o, "bias", true);
  spec.validate();
  return spec;
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
