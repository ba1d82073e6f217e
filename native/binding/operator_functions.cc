#include "operator_functions.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../core/checked_size.h"
#include "../core/model.h"
#include "../core/threads.h"
#include "js_convert.h"
#include "js_errors.h"
#include "promise_worker.h"

namespace hlnode {

namespace {

class ProductsWorker : public PromiseWorker {
 public:
  // Every input is copied (js_convert.h: copy_of): the caller may detach a buffer mid-job.
  ProductsWorker(const Napi::CallbackInfo& info, hl::ModelSpec spec, std::vector<double> params, std::vector<double> X,
                 std::vector<std::int32_t> y, hl::ProductRequest req, std::vector<std::int32_t> samples,
                 std::vector<double> V, hl::Index k)
      : PromiseWorker(info.Env(), "hessian-lab:products", info[7], info[8]), spec_(std::move(spec)),
        params_(std::move(params)), X_(std::move(X)), y_(std::move(y)), samples_(std::move(samples)), req_(req),
        V_(std::move(V)), k_(k) {
    if (req_.samples) req_.samples = samples_.data();
  }

 protected:
  void Run(const hl::Control& control) override {
    const hl::Index M = spec_.param_count();
    out_.assign(k_ * M, 0.0);
    hl::curvature_products(spec_, params_.data(), {X_.data(), y_.data(), static_cast<hl::Index>(y_.size())}, req_,
                           V_.data(), k_, out_.data(), control);
    for (size_t t = 0; t < out_.size(); ++t)
      if (!std::isfinite(out_[t]))
        hl::fail(hl::ErrorKind::Numerical, "the curvature product is not finite at entry " + std::to_string(t) +
                                               ": the model overflows at these parameters (|params| too large?)");
  }
  Napi::Value Resolve(Napi::Env env) override { return to_float64_array(env, std::move(out_)); }

 private:
  hl::ModelSpec spec_;
  std::vector<double> params_, X_;
  std::vector<std::int32_t> y_, samples_;
  hl::ProductRequest req_;
  std::vector<double> V_;
  hl::Index k_;
  std::vector<double> out_;
};

// The products are called hundreds of times on the same inputs: check them with plain loops and
// let hl::validate_inputs (which builds its message strings for every entry) word the error only
// when something is wrong. On 784 x 1000 inputs that is ~1 ms instead of ~60 ms per call.
void validate_quickly(const hl::ModelSpec& spec, F64View params, F64View X, I32View y) {
  bool ok = static_cast<hl::Index>(params.length) == spec.param_count() && y.length >= 1;
  for (size_t i = 0; ok && i < params.length; ++i) ok = std::isfinite(params.data[i]);
  for (size_t i = 0; ok && i < X.length; ++i) ok = std::isfinite(X.data[i]);
  const std::int32_t classes = static_cast<std::int32_t>(spec.classes());
  for (size_t i = 0; ok && i < y.length; ++i) ok = y.data[i] >= 0 && y.data[i] < classes;
  if (!ok) {
    hl::validate_inputs(spec, params.data, static_cast<hl::Index>(params.length),
                        {X.data, y.data, static_cast<hl::Index>(y.length)});
    hl::fail(hl::ErrorKind::InvalidArgument, "invalid model inputs");  // not reached: validate_inputs throws
  }
}

}  // namespace

Napi::Value CurvatureProducts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    F64View params = float64_view(info[1], "params"), X = float64_view(info[2], "X");
    I32View y = int32_view(info[3], "y");
    const hl::Index n0 = spec.inputs(), M = spec.param_count();
    hl::require(X.length == static_cast<size_t>(hl::checked_mul(static_cast<hl::Index>(y.length), n0, "N * inputs")),
                "X must have N * " + std::to_string(n0) + " entries for N = " + std::to_string(y.length) +
                    " labels; received " + std::to_string(X.length));
    validate_quickly(spec, params, X, y);
    if (!info[4].IsObject()) throw_type(env, "options", "an object {kind, samples?}");
    Napi::Object o = info[4].As<Napi::Object>();
    hl::ProductRequest req;
    const std::string kind = get_string(o, "kind", "hessian");
    hl::require(kind == "hessian" || kind == "ggn", "kind must be hessian | ggn; received " + kind);
    req.kind = kind == "ggn" ? hl::ProductKind::GaussNewton : hl::ProductKind::Hessian;
    req.threads = static_cast<int>(std::clamp<hl::Index>(get_index(o, "threads", 0), -1, hl::kMaxThreads + 1));
    I32View samples{nullptr, 0};
    if (o.Has("samples") && !o.Get("samples").IsUndefined()) {
      samples = int32_view(o.Get("samples"), "samples");
      req.samples = samples.data;
      req.sample_count = static_cast<hl::Index>(samples.length);
      hl::require(req.sample_count >= 1, "samples must hold at least 1 index");
    }
    F64View V = float64_view(info[5], "vectors");
    const hl::Index k = integer_of(info[6], "count");
    hl::require(k >= 1 && V.length == static_cast<size_t>(hl::checked_mul(k, M, "count * M")),
                "vectors must hold count * M = " + std::to_string(k) + " * " + std::to_string(M) + " entries; received " +
                    std::to_string(V.length));
    for (size_t t = 0; t < V.length; ++t)
      if (!std::isfinite(V.data[t])) hl::fail(hl::ErrorKind::InvalidArgument, "vectors must be finite; entry " + std::to_string(t) + " is not");
    auto* w = new ProductsWorker(info, std::move(spec), copy_of(params), copy_of(X), copy_of(y), req, copy_of(samples),
                                 copy_of(V), k);
    return w->Queue();
  });
}

Napi::Value ProductsWorkspaceBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    const hl::Index B = integer_of(info[1], "B"), k = integer_of(info[2], "count");
    hl::require(B >= 1 && k >= 1, "B and count must be >= 1");
    return Napi::Number::New(env, hl::products_workspace_bytes(spec, B, k));
  });
}

}  // namespace hlnode
