#include "train_functions.h"

#include <chrono>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

#include "../core/checked_size.h"
#include "../core/threads.h"
#include "../core/train.h"
#include "js_convert.h"
#include "js_errors.h"
#include "promise_worker.h"

namespace hlnode {

namespace {

using hl::Index;

// A labelled dataset copied out of (X, y) typed arrays (js_convert.h: copy_of); `optional`
// allows (undefined, undefined), which gives an empty dataset.
struct DataInput {
  std::vector<double> X;
  std::vector<std::int32_t> y;
  hl::DataView view() const {
    return y.empty() ? hl::DataView{nullptr, nullptr, 0} : hl::DataView{X.data(), y.data(), static_cast<Index>(y.size())};
  }
};

DataInput read_data(const hl::ModelSpec& spec, const Napi::Value& X, const Napi::Value& y, const std::string& name,
                    bool optional) {
  DataInput d;
  if (optional && X.IsUndefined() && y.IsUndefined()) return d;
  const F64View Xv = float64_view(X, name + "X");
  const I32View yv = int32_view(y, name + "y");
  const Index n0 = spec.inputs();
  hl::require(Xv.length == static_cast<size_t>(hl::checked_mul(static_cast<Index>(yv.length), n0, (name + "X's length").c_str())),
              name + "X must have N * " + std::to_string(n0) + " entries for N = " + std::to_string(yv.length) +
                  " labels; received " + std::to_string(Xv.length));
  hl::require(yv.length >= 1, name + "y must hold at least 1 label");
  // The value checks of validate_inputs, without the M-entry parameter vector it would need.
  for (size_t i = 0; i < Xv.length; ++i)
    if (!std::isfinite(Xv.data[i])) hl::fail(hl::ErrorKind::InvalidArgument, name + "X must be finite; entry " + std::to_string(i) + " is not");
  const Index classes = spec.classes();
  for (size_t i = 0; i < yv.length; ++i)
    if (yv.data[i] < 0 || yv.data[i] >= classes)
      hl::fail(hl::ErrorKind::InvalidArgument, name + "y must hold labels in [0, " + std::to_string(classes - 1) + "]; label " +
                                                   std::to_string(i) + " is " + std::to_string(yv.data[i]));
  d.X = copy_of(Xv);
  d.y = copy_of(yv);
  return d;
}

hl::TrainOptions read_train_options(const Napi::Object& o) {
  Napi::Env env = o.Env();
  hl::TrainOptions opt;
  Napi::Value phases = o.Get("phases");
  if (!phases.IsArray()) throw_type(env, "phases", "an array of {steps, batchSize, lr, momentum}");
  Napi::Array a = phases.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsObject()) throw_type(env, "phases[" + std::to_string(i) + "]", "an object");
    Napi::Object p = a.Get(i).As<Napi::Object>();
    hl::Phase phase;
    phase.steps = get_index(p, "steps", 0);
    phase.batch = get_index(p, "batchSize", 0);
    phase.lr = get_number(p, "lr", std::numeric_limits<double>::quiet_NaN());
    phase.momentum = get_number(p, "momentum", 0);
    opt.phases.push_back(phase);
  }
  const double seed = get_number(o, "seed", 0);
  hl::require(seed >= 0 && seed <= 9007199254740991.0 && std::floor(seed) == seed,
              "seed must be an integer in [0, 2^53)");
  opt.seed = static_cast<std::uint64_t>(seed);
  opt.record_every = get_index(o, "recordEvery", 0);
  opt.grad_norm_stop = get_number(o, "gradNormStop", 0);
  return opt;
}

Napi::Object records_to_js(Napi::Env env, const std::vector<hl::Record>& records) {
  std::vector<double> step, tl, ta, gn, vl, va;
  for (const auto& r : records) {
    step.push_back(static_cast<double>(r.step));
    tl.push_back(r.train_loss);
    ta.push_back(r.train_accuracy);
    gn.push_back(r.grad_norm);
    vl.push_back(r.test_loss);
    va.push_back(r.test_accuracy);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("step", to_float64_array(env, std::move(step)));
  o.Set("trainLoss", to_float64_array(env, std::move(tl)));
  o.Set("trainAccuracy", to_float64_array(env, std::move(ta)));
  o.Set("gradNorm", to_float64_array(env, std::move(gn)));
  o.Set("testLoss", to_float64_array(env, std::move(vl)));
  o.Set("testAccuracy", to_float64_array(env, std::move(va)));
  return o;
}

const char* stop_name(hl::StopReason r) {
  switch (r) {
    case hl::StopReason::SegmentEnd: return "segment";
    case hl::StopReason::Steps: return "steps";
    case hl::StopReason::GradNorm: return "gradNorm";
  }
  return "?";
}

class TrainSegmentWorker : public PromiseWorker {
 public:
  TrainSegmentWorker(const Napi::CallbackInfo& info, hl::ModelSpec spec, DataInput train, DataInput test,
                     hl::TrainOptions options, hl::TrainState state, Index end_step)
      : PromiseWorker(info.Env(), "hessian-lab:train", info[8], info[9]), spec_(std::move(spec)), train_(std::move(train)),
        test_(std::move(test)), options_(std::move(options)), state_(std::move(state)), end_step_(end_step) {
  }

 protected:
  void Run(const hl::Control& control) override {
    hl::Trainer trainer(spec_, train_.view(), test_.view(), options_, hl::Gemm::Blas);
    reason_ = trainer.run(state_, end_step_, records_, control);
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("params", to_float64_array(env, std::move(state_.params)));
    out.Set("velocity", to_float64_array(env, std::move(state_.velocity)));
    out.Set("step", Napi::Number::New(env, static_cast<double>(state_.step)));
    out.Set("stopped", Napi::String::New(env, stop_name(reason_)));
    out.Set("records", records_to_js(env, records_));
    return out;
  }

 private:
  hl::ModelSpec spec_;
  DataInput train_, test_;
  hl::TrainOptions options_;
  hl::TrainState state_;
  Index end_step_;
  std::vector<hl::Record> records_;
  hl::StopReason reason_ = hl::StopReason::SegmentEnd;
};

class TrainManyWorker : public PromiseWorker {
 public:
  TrainManyWorker(const Napi::CallbackInfo& info, hl::MlpSpec spec, DataInput train, DataInput test,
                  hl::TrainOptions options, std::vector<double> inits, Index runs, int threads)
      : PromiseWorker(info.Env(), "hessian-lab:trainMany", info[7], info[8]), spec_(std::move(spec)), train_(std::move(train)),
        test_(std::move(test)), options_(std::move(options)), params_(std::move(inits)), runs_(runs), threads_(threads) {
  }

 protected:
  void Run(const hl::Control& control) override {
    const auto start = std::chrono::steady_clock::now();
    outcomes_ = hl::train_many(spec_, train_.view(), test_.view(), options_, params_, runs_, threads_, control);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  Napi::Value Resolve(Napi::Env env) override {
    const size_t R = outcomes_.size();
    Napi::Int32Array status = Napi::Int32Array::New(env, R);
    std::vector<double> steps(R), tl(R), ta(R), gn(R), vl(R), va(R);
    for (size_t r = 0; r < R; ++r) {
      const auto& o = outcomes_[r];
      status[r] = static_cast<int32_t>(o.status);
      steps[r] = static_cast<double>(o.steps);
      tl[r] = o.last.train_loss;
      ta[r] = o.last.train_accuracy;
      gn[r] = o.last.grad_norm;
      vl[r] = o.last.test_loss;
      va[r] = o.last.test_accuracy;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("params", to_float64_array(env, std::move(params_)));
    out.Set("status", status);
    out.Set("steps", to_float64_array(env, std::move(steps)));
    out.Set("trainLoss", to_float64_array(env, std::move(tl)));
    out.Set("trainAccuracy", to_float64_array(env, std::move(ta)));
    out.Set("gradNorm", to_float64_array(env, std::move(gn)));
    out.Set("testLoss", to_float64_array(env, std::move(vl)));
    out.Set("testAccuracy", to_float64_array(env, std::move(va)));
    out.Set("seconds", Napi::Number::New(env, seconds_));
    return out;
  }

 private:
  hl::MlpSpec spec_;
  DataInput train_, test_;
  hl::TrainOptions options_;
  std::vector<double> params_;
  Index runs_;
  int threads_;
  std::vector<hl::RunOutcome> outcomes_;
  double seconds_ = 0;
};

class EvaluateManyWorker : public PromiseWorker {
 public:
  EvaluateManyWorker(const Napi::CallbackInfo& info, hl::ModelSpec spec, std::vector<double> params, Index count,
                     DataInput data, bool gradient)
      : PromiseWorker(info.Env(), "hessian-lab:evaluateMany", info[5], info[6]), spec_(std::move(spec)),
        params_(std::move(params)), count_(count), data_(std::move(data)), gradient_(gradient) {}

 protected:
  void Run(const hl::Control& control) override {
    const Index M = spec_.param_count();
    // One training phase of full batches: the Trainer's chunked full-gradient pass is reused as is.
    hl::TrainOptions options;
    options.phases.push_back({1, 0, 1.0, 0.0});
    hl::Trainer trainer(spec_, data_.view(), {nullptr, nullptr, 0}, options, hl::Gemm::Blas);
    std::vector<double> grad(static_cast<size_t>(M));
    for (Index p = 0; p < count_; ++p) {
      control.check();
      const double* w = params_.data() + p * M;
      Index correct = 0;
      loss_.push_back(trainer.full_gradient(w, grad, &correct));
      accuracy_.push_back(static_cast<double>(correct) / static_cast<double>(data_.y.size()));
      if (gradient_) {
        double s = 0;
        for (double g : grad) s += g * g;
        grad_norm_.push_back(std::sqrt(s));
      }
      control.report("evaluating", static_cast<double>(p + 1) / static_cast<double>(count_));
    }
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("loss", to_float64_array(env, std::move(loss_)));
    out.Set("accuracy", to_float64_array(env, std::move(accuracy_)));
    if (gradient_) out.Set("gradNorm", to_float64_array(env, std::move(grad_norm_)));
    return out;
  }

 private:
  hl::ModelSpec spec_;
  std::vector<double> params_;
  Index count_;
  DataInput data_;
  bool gradient_;
  std::vector<double> loss_, accuracy_, grad_norm_;
};

void require_finite(const F64View& v, const std::string& name) {
  for (size_t j = 0; j < v.length; ++j)  // (message built only on failure: inits can hold millions)
    if (!std::isfinite(v.data[j])) hl::fail(hl::ErrorKind::InvalidArgument, name + " must be finite; entry " + std::to_string(j) + " is not");
}

/// Number of M-vectors stored one after another in v (inits, a batch of parameter vectors), checked.
Index vector_count(const F64View& v, Index M, const std::string& name, const char* what) {
  hl::require(v.length >= static_cast<size_t>(M) && v.length % static_cast<size_t>(M) == 0,
              name + " must hold " + what + " x " + std::to_string(M) + " entries; received " + std::to_string(v.length));
  require_finite(v, name);
  return static_cast<Index>(v.length) / M;
}

}  // namespace

Napi::Value TrainSegment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    const Index M = spec.param_count();
    F64View params = float64_view(info[1], "params");
    hl::require(params.length == static_cast<size_t>(M), "params must have " + std::to_string(M) + " entries; received " +
                                                             std::to_string(params.length));
    require_finite(params, "params");
    hl::TrainState state;
    state.params.assign(params.data, params.data + M);
    if (!info[2].IsUndefined()) {
      F64View v = float64_view(info[2], "velocity");
      hl::require(v.length == static_cast<size_t>(M), "velocity must have " + std::to_string(M) + " entries");
      require_finite(v, "velocity");
      state.velocity.assign(v.data, v.data + M);
    }
    DataInput train = read_data(spec, info[3], info[4], "", false);
    DataInput test = read_data(spec, info[5], info[6], "test", true);
    if (!info[7].IsObject()) throw_type(env, "options", "an object");
    Napi::Object o = info[7].As<Napi::Object>();
    hl::TrainOptions options = read_train_options(o);
    state.step = get_index(o, "startStep", 0);
    const Index end_step = get_index(o, "endStep", hl::total_steps(options.phases));
    auto* w = new TrainSegmentWorker(info, std::move(spec), std::move(train), std::move(test), std::move(options),
                                     std::move(state), end_step);
    return w->Queue();
  });
}

Napi::Value TrainMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec model = parse_model(info[0]);
    hl::require(!model.sequential, "trainMany supports MLP models only; train sequential models (convnets) with train()");
    hl::MlpSpec spec = model.mlp;
    const Index M = hl::ParamLayout(spec).size();
    F64View inits = float64_view(info[1], "inits");
    const Index runs = vector_count(inits, M, "inits", "runs");
    DataInput train = read_data(model, info[2], info[3], "", false);
    DataInput test = read_data(model, info[4], info[5], "test", true);
    if (!info[6].IsObject()) throw_type(env, "options", "an object");
    Napi::Object o = info[6].As<Napi::Object>();
    hl::TrainOptions options = read_train_options(o);
    hl::validate_phases(options.phases, static_cast<Index>(train.y.size()));
    const Index threads = get_index(o, "threads", hl::thread_count());
    hl::require(threads >= 1 && threads <= 4096, "threads must be in [1, 4096]");
    auto* w = new TrainManyWorker(info, std::move(spec), std::move(train), std::move(test), std::move(options),
                                  std::vector<double>(inits.data, inits.data + inits.length), runs,
                                  static_cast<int>(threads));
    return w->Queue();
  });
}

Napi::Value EvaluateMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hl::ModelSpec spec = parse_model(info[0]);
    const Index M = spec.param_count();
    F64View params = float64_view(info[1], "params");
    const Index count = vector_count(params, M, "params", "count");
    DataInput data = read_data(spec, info[2], info[3], "", false);
    const bool gradient = info[4].IsObject() && get_bool(info[4].As<Napi::Object>(), "gradient", false);
    auto* w = new EvaluateManyWorker(info, std::move(spec), copy_of(params), count, std::move(data), gradient);
    return w->Queue();
  });
}

}  // namespace hlnode
