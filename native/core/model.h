// One model handle for both forms the engine knows: an MLP (mlp.h, the fast path with its own
// unit-slab assembly) or a sequential model (sequential.h: convnets). The binding parses either
// into a ModelSpec and calls the functions below, which dispatch on the form; nothing else in the
// binding needs to know which form it holds.
#pragma once

#include <memory>
#include <vector>

#include "curvature.h"
#include "hvp.h"
#include "mlp.h"
#include "sequential.h"

namespace hl {

struct ModelSpec {
  MlpSpec mlp;                                // used when `sequential` is null
  std::shared_ptr<const SequentialNet> sequential;

  Index param_count() const;
  Index inputs() const;   // features per sample (C*H*W for image inputs)
  Index outputs() const;  // k
  Index classes() const;
  LossKind loss() const;
};

/// Params (M finite), X (N x inputs, finite) and labels in range, for either form.
void validate_inputs(const ModelSpec& model, const double* params, Index param_count, const DataView& data);

/// Loss, mean gradient, outputs (N x k), per-sample losses and optionally per-sample gradients (N x M).
struct Evaluation {
  double loss = 0;
  std::vector<double> gradient, outputs, losses, per_sample;
};
Evaluation evaluate(const ModelSpec& model, const double* params, const DataView& data, bool per_sample);

void assemble_curvature(const ModelSpec& model, const double* params, const DataView& data,
                        const CurvatureRequest& request, const std::vector<BlockSink>& sinks, const Control& control);
/// Workspace (outputs excluded) of assemble_curvature with `threads` threads (0 = all cores).
double assembly_workspace_bytes(const ModelSpec& model, Index N, const std::vector<CurvatureKind>& kinds, int threads = 0);

void curvature_products(const ModelSpec& model, const double* params, const DataView& data,
                        const ProductRequest& request, const double* V, Index k, double* out, const Control& control);
double products_workspace_bytes(const ModelSpec& model, Index B, Index k);

}  // namespace hl
