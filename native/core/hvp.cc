#include "hvp.h"

#include <algorithm>
#include <string>
#include <vector>

#include "curvature_plumbing.h"
#include "errors.h"
#include "threads.h"

namespace hl {

namespace {

constexpr double kChunkBudgetBytes = budget::kProductChunkBytes;

Index sum_of_widths(const MlpSpec& spec) {
  Index s = 0;
  for (Index l = 1; l <= spec.depth(); ++l) s += spec.layers[l];
  return s;
}

// Doubles per (vector, sample) row: R{z}, R{a} and R{delta} for every layer.
Index doubles_per_row(const MlpSpec& spec) { return 3 * sum_of_widths(spec); }

}  // namespace

double products_workspace_bytes(const MlpSpec& spec, Index B, Index k) {
  const double per_vector = 8.0 * double(B) * double(doubles_per_row(spec));
  const double chunk = std::min(double(k), std::max(1.0, std::floor(kChunkBudgetBytes / per_vector)));
  const Index k_out = spec.outputs();
  // pass (A, Z, Delta) + output Hessians + backprop-before-activation terms + the chunk's rows
  return 8.0 * double(B) * (3.0 * (sum_of_widths(spec) + spec.inputs()) + double(k_out * k_out) + sum_of_widths(spec)) +
         chunk * per_vector;
}

void curvature_products(const MlpSpec& spec, const double* params, const DataView& data, const ProductRequest& req,
                        const double* V, Index k, double* out, const Control& control) {
  const ParamLayout lay(spec);
  const Index M = lay.size(), L = spec.depth(), K = spec.outputs();
  validate_products(req, V, k, out, M);
  const bool hessian = req.kind == ProductKind::Hessian;
  const SampleBatch batch = gather_samples(data, spec.inputs(), req.samples, req.sample_count);
  // The layer GEMMs are split by OpenBLAS's own threads (threads.h).
  BlasThreads blas(resolve_threads(req.threads), &control);
  const DataView& d = batch.view;
  const Index B = d.N;
  const double inv_b = 1.0 / double(B);

  control.report("products", 0.0);
  const Pass pass = run_pass(spec, params, d, true);
  control.check();

  // Per-sample output curvature H_l (B x K x K).
  std::vector<double> Hl(B * K * K);
  for (Index i = 0; i < B; ++i) sample_loss(spec.loss, pass.Z[L].data() + i * K, K, d.y[i], nullptr, Hl.data() + i * K * K);
  // Hessian only: Gpre[l] = Delta_{l+1} W_{l+1} (B x n_l), the back-propagated error before the
  // activation derivative, which multiplies act''(z_l) R{z_l} in R{delta_l}.
  std::vector<std::vector<double>> Gpre(L);
  if (hessian) {
    for (Index l = 1; l < L; ++l) {
      const Index in = lay.in(l + 1), o = lay.out(l + 1);
      Gpre[l].resize(B * in);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, o, 1.0, pass.Delta[l + 1].data(), o,
                  params + lay.weight_offset(l + 1), in, 0.0, Gpre[l].data(), in);
    }
  }

  const Index per_vector = B * doubles_per_row(spec);
  const Index chunk = std::max<Index>(1, std::min<Index>(k, static_cast<Index>(kChunkBudgetBytes / (8.0 * per_vector))));
  std::vector<std::vector<double>> RZ(L + 1), RA(L), RD(L + 1);
  const Activation act = spec.activation;

  for (Index j0 = 0; j0 < k; j0 += chunk) {
    control.check();
    const Index kc = std::min(chunk, k - j0), rows = kc * B;  // rows ordered [vector][sample]
    // ---- forward: R{z_l} = A_{l-1} Vw_l^T + vb_l + R{a_{l-1}} W_l^T;  R{a_l} = act'(z_l) R{z_l}
    for (Index l = 1; l <= L; ++l) {
      const Index in = lay.in(l), o = lay.out(l);
      RZ[l].resize(rows * o);
      for (Index j = 0; j < kc; ++j) {
        const double* v = V + (j0 + j) * M;
        double* rz = RZ[l].data() + j * B * o;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, o, in, 1.0, pass.A[l - 1].data(), in,
                    v + lay.weight_offset(l), in, 0.0, rz, o);
        if (lay.bias()) {
          const double* vb = v + lay.bias_offset(l);
          for (Index i = 0; i < B; ++i)
            for (Index r = 0; r < o; ++r) rz[i * o + r] += vb[r];
        }
      }
      if (l >= 2)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, o, in, 1.0, RA[l - 1].data(), in,
                    params + lay.weight_offset(l), in, 1.0, RZ[l].data(), o);
      if (l < L) {
        RA[l].resize(rows * o);
        const double* z = pass.Z[l].data();
        for (Index j = 0; j < kc; ++j)
          for (Index t = 0; t < B * o; ++t) RA[l][j * B * o + t] = act_d1(act, z[t]) * RZ[l][j * B * o + t];
      }
    }
    control.check();
    // ---- output: R{delta_L} = H_l R{f} (J v mapped through the loss curvature)
    RD[L].resize(rows * K);
    for (Index j = 0; j < kc; ++j)
      for (Index i = 0; i < B; ++i) {
        const double* h = Hl.data() + i * K * K;
        const double* rf = RZ[L].data() + (j * B + i) * K;
        double* rd = RD[L].data() + (j * B + i) * K;
        for (Index a = 0; a < K; ++a) {
          double s = 0;
          for (Index b = 0; b < K; ++b) s += h[a * K + b] * rf[b];
          rd[a] = s;
        }
      }
    // ---- backward, layer by layer: the product's entries for layer l, then R{delta_{l-1}}
    for (Index l = L; l >= 1; --l) {
      const Index in = lay.in(l), o = lay.out(l);
      for (Index j = 0; j < kc; ++j) {
        double* ow = out + (j0 + j) * M + lay.weight_offset(l);
        const double* rd = RD[l].data() + j * B * o;
        // (1/B) sum_i R{delta_l,i} a_{l-1,i}^T  (+ Hessian: (1/B) sum_i delta_l,i R{a_{l-1,i}}^T)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, B, inv_b, rd, o, pass.A[l - 1].data(), in, 0.0, ow,
                    in);
        if (hessian && l >= 2)
          cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, B, inv_b, pass.Delta[l].data(), o,
                      RA[l - 1].data() + j * B * in, in, 1.0, ow, in);
        if (lay.bias()) {
          double* ob = out + (j0 + j) * M + lay.bias_offset(l);
          std::fill(ob, ob + o, 0.0);
          for (Index i = 0; i < B; ++i)
            for (Index r = 0; r < o; ++r) ob[r] += rd[i * o + r];
          for (Index r = 0; r < o; ++r) ob[r] *= inv_b;
        }
      }
      if (l == 1) break;
      // R{delta_{l-1}} = act'(z_{l-1}) (R{delta_l} W_l)                              [G and H]
      //                + act'(z_{l-1}) (delta_l Vw_l) + act''(z_{l-1}) R{z_{l-1}} Gpre  [H only]
      RD[l - 1].resize(rows * in);
      double* rdp = RD[l - 1].data();
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, o, 1.0, RD[l].data(), o,
                  params + lay.weight_offset(l), in, 0.0, rdp, in);
      if (hessian)
        for (Index j = 0; j < kc; ++j)
          cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, o, 1.0, pass.Delta[l].data(), o,
                      V + (j0 + j) * M + lay.weight_offset(l), in, 1.0, rdp + j * B * in, in);
      const double* z = pass.Z[l - 1].data();
      for (Index j = 0; j < kc; ++j) {
        double* r = rdp + j * B * in;
        const double* rz = RZ[l - 1].data() + j * B * in;
        for (Index t = 0; t < B * in; ++t) {
          r[t] *= act_d1(act, z[t]);
          if (hessian) r[t] += act_d2(act, z[t]) * rz[t] * Gpre[l - 1][t];
        }
      }
      control.check();
    }
    control.report("products", double(j0 + kc) / double(k));
  }
}

}  // namespace hl
