#include "loss.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "errors.h"

namespace hl {

LossKind parse_loss(const std::string& name) {
  if (name == "cross_entropy") return LossKind::CrossEntropy;
  if (name == "mse") return LossKind::Mse;
  if (name == "logistic") return LossKind::Logistic;
  fail(ErrorKind::InvalidArgument, "loss must be one of cross_entropy | mse | logistic; received \"" + name + "\"");
}

const char* loss_name(LossKind k) {
  switch (k) {
    case LossKind::CrossEntropy: return "cross_entropy";
    case LossKind::Mse: return "mse";
    case LossKind::Logistic: return "logistic";
  }
  return "?";
}

namespace {

double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

double cross_entropy(const double* f, Index k, Index y, double* u, double* hess) {
  double fmax = *std::max_element(f, f + k);
  double sum = 0;
  for (Index c = 0; c < k; ++c) sum += std::exp(f[c] - fmax);
  double lse = fmax + std::log(sum);
  if (u || hess) {
    // p is written into u first (u doubles as scratch when hess is requested without u).
    double p_local[64];
    double* p = u ? u : (k <= 64 ? p_local : nullptr);
    std::vector<double> p_heap;
    if (!p) { p_heap.resize(k); p = p_heap.data(); }
    for (Index c = 0; c < k; ++c) p[c] = std::exp(f[c] - lse);
    if (hess) {
      for (Index a = 0; a < k; ++a)
        for (Index b = 0; b < k; ++b) hess[a * k + b] = (a == b ? p[a] : 0.0) - p[a] * p[b];
    }
    if (u) u[y] -= 1.0;
  }
  return lse - f[y];
}

double mse(const double* f, Index k, Index y, double* u, double* hess) {
  double loss = 0;
  for (Index c = 0; c < k; ++c) {
    double r = f[c] - (c == y ? 1.0 : 0.0);
    loss += 0.5 * r * r;
    if (u) u[c] = r;
  }
  if (hess)
    for (Index a = 0; a < k; ++a)
      for (Index b = 0; b < k; ++b) hess[a * k + b] = a == b ? 1.0 : 0.0;
  return loss;
}

double logistic(const double* f, Index y, double* u, double* hess) {
  double x = f[0];
  double s = 1.0 / (1.0 + std::exp(-x));
  if (u) u[0] = s - static_cast<double>(y);
  if (hess) hess[0] = s * (1.0 - s);
  return softplus(x) - static_cast<double>(y) * x;
}

}  // namespace

double sample_loss(LossKind kind, const double* f, Index k, Index label, double* u, double* hess) {
  switch (kind) {
    case LossKind::CrossEntropy: return cross_entropy(f, k, label, u, hess);
    case LossKind::Mse: return mse(f, k, label, u, hess);
    case LossKind::Logistic: return logistic(f, label, u, hess);
  }
  return 0;
}

}  // namespace hl
