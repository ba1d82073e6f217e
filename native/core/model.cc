#include "model.h"

#include "sequential_curvature.h"
#include "threads.h"

namespace hl {

Index ModelSpec::param_count() const { return sequential ? sequential->param_count() : ParamLayout(mlp).size(); }
Index ModelSpec::inputs() const { return sequential ? sequential->inputs() : mlp.inputs(); }
Index ModelSpec::outputs() const { return sequential ? sequential->outputs() : mlp.outputs(); }
Index ModelSpec::classes() const { return sequential ? sequential->classes() : mlp.classes(); }
LossKind ModelSpec::loss() const { return sequential ? sequential->loss() : mlp.loss; }

void validate_inputs(const ModelSpec& model, const double* params, Index param_count, const DataView& data) {
  if (model.sequential) validate_inputs(*model.sequential, params, param_count, data);
  else validate_inputs(model.mlp, params, param_count, data);
}

Evaluation evaluate(const ModelSpec& model, const double* params, const DataView& data, bool per_sample) {
  Evaluation e;
  if (!model.sequential) {
    Pass pass = run_pass(model.mlp, params, data, true);
    e.loss = pass.loss;
    e.gradient = gradient(model.mlp, pass);
    if (per_sample) e.per_sample = per_sample_gradients(model.mlp, pass);
    e.outputs = std::move(pass.Z[static_cast<size_t>(model.mlp.depth())]);
    e.losses = std::move(pass.losses);
    return e;
  }
  const SequentialNet& net = *model.sequential;
  SeqPass pass;
  seq_forward(net, params, data, nullptr, data.N, true, pass);
  e.loss = pass.loss;
  e.gradient.assign(static_cast<size_t>(net.param_count()), 0.0);
  seq_accumulate_gradient(net, pass, 1.0 / static_cast<double>(data.N), e.gradient.data());
  if (per_sample) e.per_sample = seq_per_sample_gradients(net, pass);
  e.outputs = std::move(pass.a[static_cast<size_t>(net.depth())]);
  e.losses = std::move(pass.losses);
  return e;
}

void assemble_curvature(const ModelSpec& model, const double* params, const DataView& data,
                        const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control) {
  BlasThreads single(1, &control);  // its parallelism is its own: BLAS at 1 thread (threads.h)
  if (model.sequential) assemble_curvature(*model.sequential, params, data, request, sinks, control);
  else assemble_curvature(model.mlp, params, data, request, sinks, control);
}

double assembly_workspace_bytes(const ModelSpec& model, Index N, const std::vector<CurvatureKind>& kinds, int threads) {
  return model.sequential ? assembly_workspace_bytes(*model.sequential, N, kinds, threads)
                          : assembly_workspace_bytes(model.mlp, N, kinds, threads);
}

void curvature_products(const ModelSpec& model, const double* params, const DataView& data,
                        const ProductRequest& request, const double* V, Index k, double* out, const Control& control) {
  if (model.sequential) curvature_products(*model.sequential, params, data, request, V, k, out, control);
  else curvature_products(model.mlp, params, data, request, V, k, out, control);
}

double products_workspace_bytes(const ModelSpec& model, Index B, Index k) {
  return model.sequential ? products_workspace_bytes(*model.sequential, B, k) : products_workspace_bytes(model.mlp, B, k);
}

}  // namespace hl
