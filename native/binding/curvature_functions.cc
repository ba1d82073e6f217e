#include "curvature_functions.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "../core/checked_size.h"
#include "../core/model.h"
#include "../core/dense_matrix.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"
#include "js_convert.h"
#include "js_errors.h"
#include "matrix_wrap.h"
#include "promise_worker.h"

namespace hlnode {

void check_model_inputs(const Napi::CallbackInfo& info, hl::ModelSpec& spec, F64View& params, F64View& X, I32View& y) {
  spec = parse_model(info[0]);
  params = float64_view(info[1], "params");
  X = float64_view(info[2], "X");
  y = int32_view(info[3], "y");
  const hl::Index n0 = spec.inputs();
  const hl::Index expected = hl::checked_mul(static_cast<hl::Index>(y.length), n0, "X's length N * inputs");
  hl::require(X.length == static_cast<size_t>(expected),
              "X must have N * " + std::to_string(n0) + " entries for N = " + std::to_string(y.length) +
                  " labels; received " + std::to_string(X.length));
  hl::validate_inputs(spec, params.data, static_cast<hl::Index>(params.length),
                      {X.data, y.data, static_cast<hl::Index>(y.length)});
}

ModelInputs read_model_inputs(const Napi::CallbackInfo& info) {
  ModelInputs in;
  F64View params, X;
  I32View y;
  check_model_inputs(info, in.spec, params, X, y);
  in.params = copy_of(params);
  in.X = copy_of(X);
  in.y = copy_of(y);
  return in;
}

namespace {

/// Throws Numerical naming `what` and the first non-finite entry of values[0..n): huge finite
/// parameters (1e154 and up) overflow the forward pass into Inf/NaN without any input being bad.
/// The scan is branch-free within blocks and the blocks run in parallel: an assembled M x M output
/// is hundreds of MB (a plain early-exit loop took ~0.05 s for H and G at M = 4,810).
template <typename T>
void require_finite_result(const T* values, hl::Index n, hl::Index cols, const std::string& what) {
  constexpr hl::Index kBlock = hl::Index(1) << 16;
  const hl::Index blocks = (n + kBlock - 1) / kBlock;
  hl::Index first_bad = blocks;
#pragma omp parallel for schedule(static) reduction(min : first_bad) if (blocks > 16)
  for (hl::Index b = 0; b < blocks; ++b) {
    const T* v = values + b * kBlock;
    const hl::Index len = std::min(kBlock, n - b * kBlock);
    int bad = 0;
    for (hl::Index t = 0; t < len; ++t) bad |= !(std::fabs(v[t]) <= std::numeric_limits<T>::max());  // NaN, +-Inf
    if (bad) first_bad = std::min(first_bad, b);
  }
  for (hl::Index t = first_bad * kBlock; t < n; ++t)
    if (!std::isfinite(values[t]))
      hl::fail(hl::ErrorKind::Numerical, what + " is not finite at entry (" + std::to_string(t / cols) + ", " +
                                             std::to_string(t % cols) + "): the model overflows at these parameters "
                                             "(|params| too large?); nothing was returned");
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

// Outputs the caller passed to be written again (options.outputs): the matrix, its claim for the
// job, and its JS handle, which the job resolves with instead of a new one.
struct ReusedOutputs {
  std::vector<std::shared_ptr<hl::DenseMatrix>> matrices;  // per kind; null: allocate
  std::vector<MatrixWrap::Lease> leases;
  std::vector<Napi::ObjectReference> handles;              // per kind; empty: allocate
};

class AssembleWorker : public PromiseWorker {
 public:
  AssembleWorker(const Napi::CallbackInfo& info, ModelInputs in, hl::CurvatureRequest req, hl::Dtype dtype,
                 ReusedOutputs reused)
      : PromiseWorker(info.Env(), "hessian-lab:assemble", info[5], info[6]), in_(std::move(in)), req_(std::move(req)),
        dtype_(dtype), reused_(std::move(reused)) {}

 protected:
  void Run(const hl::Control& control) override {
    const hl::Index rows = req_.row_end - req_.row_begin, cols = req_.col_end - req_.col_begin;  // checked in Assemble
    // Allocation is timed apart: the kernel's first touch of fresh pages costs 0.2-2.6 s/GB
    // depending on the machine (VMs are slow), which is the machine's cost, not the algorithm's.
    // A reused output was touched when it was first allocated: the assembly overwrites every entry.
    const auto alloc_start = std::chrono::steady_clock::now();
    std::vector<hl::BlockSink> sinks;
    for (size_t t = 0; t < req_.kinds.size(); ++t) {
      if (reused_.matrices[t]) out_.push_back(reused_.matrices[t]);
      else out_.push_back(std::make_shared<hl::DenseMatrix>(rows, cols, dtype_));
      sinks.push_back({out_.back()->f64(), out_.back()->f32(), cols});
    }
    const auto start = std::chrono::steady_clock::now();
    allocation_seconds_ = std::chrono::duration<double>(start - alloc_start).count();
    hl::assemble_curvature(in_.spec, in_.params.data(), in_.data(), req_, sinks, control);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t t = 0; t < req_.kinds.size(); ++t) {
      const std::string what = std::string("the assembled ") + hl::curvature_name(req_.kinds[t]);
      if (out_[t]->f64()) require_finite_result(out_[t]->f64(), rows * cols, cols, what);
      else require_finite_result(out_[t]->f32(), rows * cols, cols, what);
    }
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    Napi::Object matrices = Napi::Object::New(env);
    for (size_t t = 0; t < req_.kinds.size(); ++t)
      matrices.Set(hl::curvature_name(req_.kinds[t]),
                   reused_.handles[t].IsEmpty() ? MatrixWrap::New(env, std::move(out_[t])) : reused_.handles[t].Value());
    result.Set("matrices", matrices);
    result.Set("seconds", Napi::Number::New(env, seconds_));
    result.Set("allocationSeconds", Napi::Number::New(env, allocation_seconds_));
    return result;
  }

 private:
  ModelInputs in_;
  hl::CurvatureRequest req_;
  hl::Dtype dtype_;
  ReusedOutputs reused_;
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
    // Validated here, before the job allocates its outputs (kinds x rows x cols entries).
    const hl::Index M = in.spec.param_count();
    req.row_begin = get_index(o, "rowBegin", 0);
    req.row_end = get_index(o, "rowEnd", M);
    req.col_begin = get_index(o, "colBegin", 0);
    req.col_end = get_index(o, "colEnd", M);
    req.threads = static_cast<int>(std::clamp<hl::Index>(get_index(o, "threads", 0), -1, hl::kMaxThreads + 1));
    req.r_operator_only = get_bool(o, "rOperatorOnly", false);
    hl::require(0 <= req.row_begin && req.row_begin < req.row_end && req.row_end <= M,
                "rowBegin, rowEnd must give a non-empty range inside [0, " + std::to_string(M) + "]; received [" +
                    std::to_string(req.row_begin) + ", " + std::to_string(req.row_end) + ")");
    hl::require(0 <= req.col_begin && req.col_begin < req.col_end && req.col_end <= M,
                "colBegin, colEnd must give a non-empty range inside [0, " + std::to_string(M) + "]; received [" +
                    std::to_string(req.col_begin) + ", " + std::to_string(req.col_end) + ")");
    const hl::Dtype dtype = parse_dtype(get_string(o, "dtype", "float64"), "dtype");
    // options.outputs: per kind, a Matrix to write into (reused across analyses of one model, so
    // its pages are first-touched once) or undefined / null to allocate.
    const size_t nk = req.kinds.size();
    const Napi::Value given = o.Has("outputs") ? o.Get("outputs") : env.Undefined();
    if (!given.IsUndefined() && !(given.IsArray() && given.As<Napi::Array>().Length() == nk))
      throw_type(env, "outputs", "an array with one Matrix (or undefined) per kind");
    std::vector<Napi::Value> wanted(nk, env.Undefined());
    size_t new_outputs = nk;
    for (size_t t = 0; t < nk && !given.IsUndefined(); ++t) {
      wanted[t] = given.As<Napi::Array>().Get(static_cast<uint32_t>(t));
      if (!wanted[t].IsUndefined() && !wanted[t].IsNull()) --new_outputs;
    }
    const double needed = double(new_outputs) * double(req.row_end - req.row_begin) *
                              double(req.col_end - req.col_begin) * double(hl::dtype_size(dtype)) +
                          hl::assembly_workspace_bytes(in.spec, static_cast<hl::Index>(in.y.size()), req.kinds, req.threads);
    const double available = hl::available_memory_bytes();
    if (available > 0 && needed > 0.9 * available)
      hl::fail(hl::ErrorKind::OutOfMemory, "assembling needs " + std::to_string(needed) + " bytes but only " +
                                               std::to_string(available) + " are available");
    // Claimed last, after every check that can throw (a claim is released if a later one fails).
    ReusedOutputs reused;
    for (size_t t = 0; t < nk; ++t) {
      if (wanted[t].IsUndefined() || wanted[t].IsNull()) {
        reused.matrices.push_back(nullptr);
        reused.handles.emplace_back();
        continue;
      }
      for (size_t u = 0; u < t; ++u)
        if (!reused.handles[u].IsEmpty() && wanted[t].StrictEquals(reused.handles[u].Value()))
          hl::fail(hl::ErrorKind::InvalidArgument, "outputs[" + std::to_string(t) + "] is the same Matrix as outputs[" +
                                                       std::to_string(u) + "]");
      auto [m, lease] = MatrixWrap::ClaimOutput(env, wanted[t], "outputs[" + std::to_string(t) + "]",
                                                req.row_end - req.row_begin, req.col_end - req.col_begin, dtype);
      reused.matrices.push_back(std::move(m));
      reused.leases.push_back(std::move(lease));
      reused.handles.push_back(Napi::Persistent(wanted[t].As<Napi::Object>()));
    }
    auto* w = new AssembleWorker(info, std::move(in), std::move(req), dtype, std::move(reused));
    return w->Queue();
  });
}

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec;
    F64View params, X;
    I32View y;
    check_model_inputs(info, spec, params, X, y);  // synchronous: read in place
    if (!info[4].IsUndefined() && !info[4].IsObject()) throw_type(env, "options", "an object or undefined");
    const bool per_sample = info[4].IsObject() && get_bool(info[4].As<Napi::Object>(), "perSample", false);
    if (per_sample) hl::checked_mul(static_cast<hl::Index>(y.length), spec.param_count(), "per-sample gradients (N x M)");
    hl::Evaluation e = hl::evaluate(spec, params.data, {X.data, y.data, static_cast<hl::Index>(y.length)}, per_sample);
    require_finite_result(&e.loss, 1, 1, "the loss");
    require_finite_result(e.gradient.data(), static_cast<hl::Index>(e.gradient.size()), 1, "the gradient");
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
    const hl::Index N = integer_of(info[1], "N");
    hl::require(N >= 1, "N must be >= 1");
    const hl::Index threads = info[3].IsUndefined() ? 0 : integer_of(info[3], "threads");
    hl::require(threads >= 0 && threads <= hl::kMaxThreads, "threads must be in [0, " + std::to_string(hl::kMaxThreads) + "]");
    return Napi::Number::New(env, hl::assembly_workspace_bytes(spec, N, parse_kinds(info[2]), static_cast<int>(threads)));
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
    const hl::Dtype dtype = parse_dtype(info[1].As<Napi::String>().Utf8Value(), "dtype");
    const hl::Index n = integer_of(info[0], "n");
    hl::require(n >= 1, "n must be >= 1");
    hl::require((req.first < 0 && req.last < 0) || (0 <= req.first && req.first <= req.last && req.last < n),
                "first, last must satisfy 0 <= first <= last < n");
    return Napi::Number::New(env, hl::eigen_workspace_bytes(n, dtype, req));
  });
}

}  // namespace hlnode
