#include "factor_functions.h"

#include <algorithm>
#include <memory>
#include <string>

#include "../core/factor_spectrum.h"
#include "../core/threads.h"
#include "curvature_functions.h"
#include "js_convert.h"
#include "js_errors.h"
#include "matrix_wrap.h"
#include "promise_worker.h"

namespace hlnode {

namespace {

hl::CurvatureKind parse_kind(const Napi::Value& v) {
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "hessian") return hl::CurvatureKind::Hessian;
  if (s == "ggn") return hl::CurvatureKind::GaussNewton;
  if (s == "residual") return hl::CurvatureKind::Residual;
  if (s == "gradient_covariance") return hl::CurvatureKind::GradientCovariance;
  hl::fail(hl::ErrorKind::InvalidArgument, "kind must be one of hessian | ggn | residual | gradient_covariance");
}

Napi::Object plan_object(Napi::Env env, const hl::FactorPlan& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("supported", Napi::Boolean::New(env, p.supported));
  o.Set("refusal", Napi::String::New(env, p.refusal));
  o.Set("M", Napi::Number::New(env, double(p.M)));
  o.Set("N", Napi::Number::New(env, double(p.N)));
  o.Set("lossRank", Napi::Number::New(env, double(p.loss_rank)));
  o.Set("rank", Napi::Number::New(env, double(p.rank)));
  o.Set("largestBegin", Napi::Number::New(env, double(p.largest_begin)));
  o.Set("largestEnd", Napi::Number::New(env, double(p.largest_end)));
  o.Set("basisColumns", Napi::Number::New(env, double(p.basis_columns)));
  o.Set("flops", Napi::Number::New(env, p.flops));
  o.Set("bytes", Napi::Number::New(env, p.bytes));
  return o;
}

class FactorWorker : public PromiseWorker {
 public:
  FactorWorker(const Napi::CallbackInfo& info, ModelInputs in, hl::FactorRequest req)
      : PromiseWorker(info.Env(), "hessian-lab:factor-spectrum", info[5], info[6]), in_(std::move(in)), req_(req) {}

 protected:
  void Run(const hl::Control& control) override {
    result_ = hl::factor_spectrum(in_.spec, in_.params.data(), in_.data(), req_, control);
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("values", to_float64_array(env, std::move(result_.values)));
    out.Set("rank", Napi::Number::New(env, double(result_.plan.rank)));
    out.Set("driver", Napi::String::New(env, result_.driver));
    out.Set("factorSeconds", Napi::Number::New(env, result_.factor_seconds));
    out.Set("eigenSeconds", Napi::Number::New(env, result_.eigen_seconds));
    out.Set("plan", plan_object(env, result_.plan));
    std::vector<double> index(result_.vector_index.begin(), result_.vector_index.end());
    out.Set("vectorIndex", to_float64_array(env, std::move(index)));
    if (result_.vectors) out.Set("vectors", MatrixWrap::New(env, std::shared_ptr<hl::DenseMatrix>(std::move(result_.vectors))));
    return out;
  }

 private:
  ModelInputs in_;
  hl::FactorRequest req_;
  hl::FactorResult result_;
};

}  // namespace

Napi::Value FactorSpectrum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    ModelInputs in = read_model_inputs(info);
    if (!info[4].IsObject()) throw_type(env, "options", "an object {kind, vectors?, threads?}");
    Napi::Object o = info[4].As<Napi::Object>();
    hl::FactorRequest req;
    req.kind = parse_kind(o.Get("kind"));
    req.vectors = get_index(o, "vectors", 0);
    hl::require(req.vectors >= -1, "vectors must be -1 (all), 0 or a count; received " + std::to_string(req.vectors));
    req.threads = static_cast<int>(std::clamp<hl::Index>(get_index(o, "threads", 0), -1, hl::kMaxThreads + 1));
    hl::resolve_threads(req.threads);  // checked here, before the job is queued
    const hl::FactorPlan plan = hl::plan_factor(in.spec, static_cast<hl::Index>(in.y.size()), req.kind);
    if (!plan.supported) hl::fail(hl::ErrorKind::InvalidArgument, plan.refusal);
    auto* w = new FactorWorker(info, std::move(in), req);
    return w->Queue();
  });
}

Napi::Value FactorPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    return plan_object(env, hl::plan_factor(spec, integer_of(info[1], "N"), parse_kind(info[2])));
  });
}

}  // namespace hlnode
