#include "backend.h"

#include <stdexcept>

#include "../core/model.h"
#include "../core/threads.h"
#include "json.h"

namespace hlmpi {

namespace {

std::int64_t integer(const Json* v, const std::string& name, std::int64_t fallback) {
  if (v == nullptr) return fallback;
  if (v->type != Json::Type::Number || v->number != static_cast<double>(static_cast<std::int64_t>(v->number)))
    throw std::runtime_error("model." + name + " must be an integer");
  return static_cast<std::int64_t>(v->number);
}

std::string text(const Json* v, const std::string& name, const std::string& fallback) {
  if (v == nullptr) return fallback;
  if (v->type != Json::Type::String) throw std::runtime_error("model." + name + " must be a string");
  return v->string;
}

bool flag(const Json* v, const std::string& name, bool fallback) {
  if (v == nullptr) return fallback;
  if (v->type != Json::Type::Bool) throw std::runtime_error("model." + name + " must be a boolean");
  return v->boolean;
}

/// A number or a pair [a, b] (kernel, stride, padding); `which` picks the entry.
std::int64_t pair_entry(const Json* v, int which, const std::string& name, std::int64_t fallback) {
  if (v == nullptr) return fallback;
  if (v->type == Json::Type::Array) {
    if (v->array.size() != 2) throw std::runtime_error("model." + name + " must be a number or a pair");
    return integer(&v->array[size_t(which)], name + "[" + std::to_string(which) + "]", fallback);
  }
  return integer(v, name, fallback);
}

hl::LayerSpec layer_from(const Json& o, const std::string& name) {
  if (o.type != Json::Type::Object) throw std::runtime_error("model." + name + " must be an object {type, ...}");
  const std::string type = text(o.get("type"), name + ".type", "");
  hl::LayerSpec L;
  if (type == "conv2d" || type == "maxpool2d") {
    const bool conv = type == "conv2d";
    L.kind = conv ? hl::LayerKind::Conv2d : hl::LayerKind::MaxPool2d;
    L.kh = pair_entry(o.get("kernel"), 0, name + ".kernel", 0);
    L.kw = pair_entry(o.get("kernel"), 1, name + ".kernel", 0);
    L.sh = pair_entry(o.get("stride"), 0, name + ".stride", conv ? 1 : L.kh);
    L.sw = pair_entry(o.get("stride"), 1, name + ".stride", conv ? 1 : L.kw);
    L.ph = pair_entry(o.get("padding"), 0, name + ".padding", 0);
    L.pw = pair_entry(o.get("padding"), 1, name + ".padding", 0);
    if (conv) {
      L.out = integer(o.get("outChannels"), name + ".outChannels", 0);
      L.bias = flag(o.get("bias"), name + ".bias", true);
    }
  } else if (type == "linear") {
    L.kind = hl::LayerKind::Linear;
    L.out = integer(o.get("out"), name + ".out", 0);
    L.bias = flag(o.get("bias"), name + ".bias", true);
  } else if (type == "flatten") L.kind = hl::LayerKind::Flatten;
  else if (type == "relu") L.kind = hl::LayerKind::Relu;
  else if (type == "tanh") L.kind = hl::LayerKind::Tanh;
  else if (type == "sigmoid") L.kind = hl::LayerKind::Sigmoid;
  else if (type == "identity") L.kind = hl::LayerKind::Identity;
  else throw std::runtime_error("model." + name + ".type: unknown layer type \"" + type + "\"");
  return L;
}

hl::ModelSpec model_from(const Json& o) {
  if (o.type != Json::Type::Object) throw std::runtime_error("model.json must hold an object");
  const Json* layers = o.get("layers");
  if (layers == nullptr || layers->type != Json::Type::Array) throw std::runtime_error("model.layers must be an array");
  hl::ModelSpec model;
  const Json* shape = o.get("inputShape");
  if (shape == nullptr) {
    for (size_t i = 0; i < layers->array.size(); ++i)
      model.mlp.layers.push_back(integer(&layers->array[i], "layers[" + std::to_string(i) + "]", 0));
    model.mlp.activation = hl::parse_activation(text(o.get("activation"), "activation", "relu"));
    model.mlp.loss = hl::parse_loss(text(o.get("loss"), "loss", "cross_entropy"));
    model.mlp.bias = flag(o.get("bias"), "bias", true);
    model.mlp.validate();
    return model;
  }
  if (shape->type != Json::Type::Array) throw std::runtime_error("model.inputShape must be an array");
  hl::SequentialSpec spec;
  for (size_t i = 0; i < shape->array.size(); ++i)
    spec.input_shape.push_back(integer(&shape->array[i], "inputShape[" + std::to_string(i) + "]", 0));
  for (size_t i = 0; i < layers->array.size(); ++i)
    spec.layers.push_back(layer_from(layers->array[i], "layers[" + std::to_string(i) + "]"));
  spec.loss = hl::parse_loss(text(o.get("loss"), "loss", "cross_entropy"));
  model.sequential = std::make_shared<const hl::SequentialNet>(spec);
  return model;
}

hl::CurvatureKind kind_of(const std::string& name) {
  for (auto k : {hl::CurvatureKind::Hessian, hl::CurvatureKind::GaussNewton, hl::CurvatureKind::Residual,
                 hl::CurvatureKind::GradientCovariance})
    if (name == hl::curvature_name(k)) return k;
  throw std::runtime_error("unknown matrix \"" + name + "\" (hessian | ggn | residual | gradient_covariance)");
}

/// Runs f, turning the core's hl::Error (a type private to this library) into std::runtime_error.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const hl::Error& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace

struct Backend::Impl {
  hl::ModelSpec model;
  int threads = 0;
};

Backend::Backend(const std::string& model_json, int threads) : impl_(new Impl) {
  guarded([&] {
    impl_->threads = hl::resolve_threads(threads);
    impl_->model = model_from(parse_json(model_json, "model.json"));
  });
}
Backend::~Backend() = default;

std::int64_t Backend::param_count() const { return impl_->model.param_count(); }
std::int64_t Backend::inputs() const { return impl_->model.inputs(); }
std::int64_t Backend::classes() const { return impl_->model.classes(); }

void Backend::validate(const double* params, std::int64_t param_count, const double* X, const std::int32_t* y,
                       std::int64_t N) const {
  guarded([&] { hl::validate_inputs(impl_->model, params, param_count, hl::DataView{X, y, N}); });
}

void Backend::assemble(const std::string& kind, const double* params, const double* X, const std::int32_t* y,
                       std::int64_t N, std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1, double* out,
                       std::int64_t ld, const std::function<void(double)>& progress) const {
  guarded([&] {
    hl::CurvatureRequest request;
    request.kinds = {kind_of(kind)};
    request.threads = impl_->threads;
    request.row_begin = r0;
    request.row_end = r1;
    request.col_begin = c0;
    request.col_end = c1;
    hl::BlockSink sink;
    sink.f64 = out;
    sink.ld = ld;
    hl::Control control;
    if (progress) control.progress = [&](const std::string&, double f) { progress(f); };
    hl::assemble_curvature(impl_->model, params, hl::DataView{X, y, N}, request, {sink}, control);
  });
}

double Backend::workspace_bytes(const std::string& kind, std::int64_t N) const {
  return guarded([&] { return hl::assembly_workspace_bytes(impl_->model, N, {kind_of(kind)}, impl_->threads); });
}

}  // namespace hlmpi
