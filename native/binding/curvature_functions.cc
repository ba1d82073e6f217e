#include "curvature_functions.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "../core/model.h"
#include "../core/dense_matrix.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"
#include "js_convert.h"
#include "js_errors.h"
#include "matrix_wrap.h"
#include "promise_worker.h"

namespace hlnode {

namespace {

struct ModelInputs {
  hl::ModelSpec spec;
  F64View params;
  F64View X;
  I32View y;
  hl::DataView data() const { return {X.data, y.data, static_cast<hl::Index>(y.length)}; }
};

// Reads (model, params, X, y) from info[0..3] and re-checks shapes and values.
ModelInputs read_model_inputs(const Napi::CallbackInfo& info) {
  ModelInputs in{parse_model(info[0]), float64_view(info[1], "params"), float64_view(info[2], "X"),
                 int32_view(info[3], "y")};
  const hl::Index n0 = in.spec.inputs();
  hl::require(in.X.length == in.y.length * static_cast<size_t>(n0),
              "X must have N * " + std::to_string(n0) + " entries for N = " + std::to_string(in.y.length) +
                  " labels; received " + std::to_string(in.X.length));
  hl::validate_inputs(in.spec, in.params.data, static_cast<hl::Index>(in.params.length), in.data());
  return in;
}

std::vector<hl::CurvatureKind> parse_kinds(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsArray()) throw_type(env, "kinds", "an array of matrix names");
  std::vector<hl::CurvatureKind> kinds;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    std::string s = x.IsString() ? x.As<Napi::String>().Utf8Value() : "";
    hl::CurvatureKind k;
    if (s == "hessian") k = hl::CurvatureKind::Hessian;
    else if (s == "ggn") k = hl::CurvatureKind::GaussNewton;
    else if (s == "residual") k = hl::CurvatureKind::Residual;
    else if (s == "gradient_covariance") k = hl::CurvatureKind::GradientCovariance;
    else hl::fail(hl::ErrorKind::InvalidArgument,
                  "kinds[" + std::to_string(i) + "] must be one of hessian | ggn | residual | gradient_covariance");
    for (auto seen : kinds) hl::require(seen != k, "kinds lists " + s + " twice");
    kinds.push_back(k);
  }
  hl::require(!kinds.empty(), "kinds must name at least one matrix");
  return kinds;
}

class AssembleWorker : public PromiseWorker {
 public:
  AssembleWorker(const Napi::CallbackInfo& info, ModelInputs in, hl::CurvatureRequest req, hl::Dtype dtype)
      : PromiseWorker(info.Env(), "hessian-lab:assemble", info[5], info[6]), in_(std::move(in)), req_(std::move(req)),
        dtype_(dtype) {
    for (int i = 1; i <= 3; ++i) Keep(info[i]);  // params, X, y are read in place: keep them alive
  }

 protected:
  void Run(const hl::Control& control) override {
    const hl::Index M = in_.spec.param_count();
    const hl::Index rows = (req_.row_end < 0 ? M : req_.row_end) - req_.row_begin;
    const hl::Index cols = (req_.col_end < 0 ? M : req_.col_end) - req_.col_begin;
    // Allocation is timed apart: the kernel's first touch of fresh pages costs 0.2-2.6 s/GB
    // depending on the machine (VMs are slow), which is the machine's cost, not the algorithm's.
    const auto alloc_start = std::chrono::steady_clock::now();
    std::vector<hl::BlockSink> sinks;
    for (size_t t = 0; t < req_.kinds.size(); ++t) {
      out_.push_back(std::make_unique<hl::DenseMatrix>(rows, cols, dtype_));
      sinks.push_back({out_.back()->f64(), out_.back()->f32(), cols});
    }
    const auto start = std::chrono::steady_clock::now();
    allocation_seconds_ = std::chrono::duration<double>(start - alloc_start).count();
    hl::assemble_curvature(in_.spec, in_.params.data, in_.data(), req_, sinks, control);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    Napi::Object matrices = Napi::Object::New(env);
    for (size_t t = 0; t < req_.kinds.size(); ++t)
      matrices.Set(hl::curvature_name(req_.kinds[t]), MatrixWrap::New(env, std::move(out_[t])));
    result.Set("matrices", matrices);
    result.Set("seconds", Napi::Number::New(env, seconds_));
    result.Set("allocationSeconds", Napi::Number::New(env, allocation_seconds_));
    return result;
  }

 private:
  ModelInputs in_;
  hl::CurvatureRequest req_;
  hl::Dtype dtype_;
  std::vector<std::shared_ptr<hl::DenseMatrix>> out_;
  double seconds_ = 0;
  double allocation_seconds_ = 0;
};

}  // namespace

Napi::Value Assemble(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    ModelInputs in = read_model_inputs(info);
    if (!info[4].IsObject()) throw_type(env, "options", "an object");
    Napi::Object o = info[4].As<Napi::Object>();
    hl::CurvatureRequest req;
    req.kinds = parse_kinds(o.Get("kinds"));
    req.row_begin = get_index(o, "rowBegin", 0);
    req.row_end = get_index(o, "rowEnd", -1);
    req.col_begin = get_index(o, "colBegin", 0);
    req.col_end = get_index(o, "colEnd", -1);
    req.threads = static_cast<int>(std::clamp<hl::Index>(get_index(o, "threads", 0), -1, hl::kMaxThreads + 1));
    req.r_operator_only = get_bool(o, "rOperatorOnly", false);
    const std::string dtype = get_string(o, "dtype", "float64");
    hl::require(dtype == "float64" || dtype == "float32", "dtype must be float64 | float32; received " + dtype);
    auto* w = new AssembleWorker(info, std::move(in), std::move(req), dtype == "float32" ? hl::Dtype::F32 : hl::Dtype::F64);
    return w->Queue();
  });
}

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    ModelInputs in = read_model_inputs(info);
    const bool per_sample = info[4].IsObject() && get_bool(info[4].As<Napi::Object>(), "perSample", false);
    hl::Evaluation e = hl::evaluate(in.spec, in.params.data, in.data(), per_sample);
    Napi::Object out = Napi::Object::New(env);
    out.Set("loss", Napi::Number::New(env, e.loss));
    out.Set("gradient", to_float64_array(env, std::move(e.gradient)));
    if (per_sample) out.Set("perSampleGradients", to_float64_array(env, std::move(e.per_sample)));
    out.Set("outputs", to_float64_array(env, std::move(e.outputs)));
    out.Set("losses", to_float64_array(env, std::move(e.losses)));
    return out;
  });
}

Napi::Value AssemblyWorkspaceBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    if (!info[1].IsNumber()) throw_type(env, "N", "a number");
    return Napi::Number::New(
        env, hl::assembly_workspace_bytes(spec, info[1].As<Napi::Number>().Int64Value(), parse_kinds(info[2]),
                                          info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0));
  });
}

Napi::Value EigenWorkspaceBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!info[0].IsNumber() || !info[1].IsString() || !info[2].IsObject())
      throw_type(env, "arguments", "(n: number, dtype: string, options: object)");
    hl::EigenRequest req;
    Napi::Object o = info[2].As<Napi::Object>();
    req.vectors = get_bool(o, "vectors", false);
    req.first = get_index(o, "first", -1);
    req.last = get_index(o, "last", -1);
    const hl::Dtype dtype = info[1].As<Napi::String>().Utf8Value() == "float32" ? hl::Dtype::F32 : hl::Dtype::F64;
    return Napi::Number::New(env, hl::eigen_workspace_bytes(info[0].As<Napi::Number>().Int64Value(), dtype, req));
  });
}

}  // namespace hlnode
