// The core (native/core) as the MPI driver sees it: a narrow interface exported from the private
// shared library libhessian_lab_mpi_core.so, which links the core and its static ILP64 OpenBLAS +
// LAPACKE with their symbols hidden (CMakeLists.txt says why). Nothing here includes core, BLAS
// or MPI headers, so the driver compiles against ScaLAPACK's LP64 world without a clash.
//
// Errors: every method throws std::runtime_error with the core's message (hl::Error does not
// cross the library boundary). Kinds are the engine's names: hessian | ggn | residual |
// gradient_covariance.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#define HLMPI_EXPORT __attribute__((visibility("default")))

namespace hlmpi {

class HLMPI_EXPORT Backend {
 public:
  /// From the addon's raw model JSON: an MLP {layers, activation, loss, bias} or a sequential
  /// model {inputShape, layers: [{type, ...}], loss} (src/engine/model.ts toRawModel).
  /// `threads`: the core's threads for each assemble call (0 = all cores; it travels in the
  /// request, core/threads.h). ScaLAPACK's own OpenBLAS copy reads OPENBLAS_NUM_THREADS instead.
  explicit Backend(const std::string& model_json, int threads = 0);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  std::int64_t param_count() const;
  std::int64_t inputs() const;  // features per sample
  std::int64_t classes() const;

  /// The core's validate_inputs: params (M finite), X (N x inputs, finite), labels in range.
  void validate(const double* params, std::int64_t param_count, const double* X, const std::int32_t* y,
                std::int64_t N) const;

  /// The rectangle rows [r0, r1) x cols [c0, c1) of one curvature matrix, row-major into out
  /// (leading dimension ld), through hl::assemble_curvature: one forward/backward pass per call,
  /// so callers ask for large rectangles. `progress` (may be empty) gets fractions in [0, 1].
  void assemble(const std::string& kind, const double* params, const double* X, const std::int32_t* y, std::int64_t N,
                std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1, double* out, std::int64_t ld,
                const std::function<void(double)>& progress) const;

  /// Workspace bytes one assemble call allocates besides `out` (hl::assembly_workspace_bytes).
  double workspace_bytes(const std::string& kind, std::int64_t N) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hlmpi
