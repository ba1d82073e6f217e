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

namespace {

hl::Index pair_entry(const Napi::Object& o, const char* key, int which, const std::string& name, hl::Index fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsNumber()) return v.As<Napi::Number>().Int64Value();
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 2 || !v.As<Napi::Array>().Get(uint32_t(which)).IsNumber())
    throw_type(o.Env(), name + "." + key, "a number or a pair of numbers");
  return v.As<Napi::Array>().Get(uint32_t(which)).As<Napi::Number>().Int64Value();
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
      L.out = get_index(o, "outChannels", 0);
      L.bias = get_bool(o, "bias", true);
    }
  } else if (type == "linear") {
    L.kind = hl::LayerKind::Linear;
    L.out = get_index(o, "out", 0);
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
    if (!s.Get(i).IsNumber()) throw_type(env, "model.inputShape[" + std::to_string(i) + "]", "a number");
    spec.input_shape.push_back(s.Get(i).As<Napi::Number>().Int64Value());
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
