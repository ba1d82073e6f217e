// Per-sample losses l(f, y) of the network output f (k values) and a label y, with the gradient
// u = dl/df and the Hessian H_l = d²l/df² that the Gauss-Newton matrix needs.
//  * cross_entropy: l = -log softmax(f)_y;   u = p - e_y;   H_l = diag(p) - p p^T.
//  * mse:           l = 1/2 ||f - onehot(y)||² (summed over outputs); u = f - e_y; H_l = I.
//  * logistic:      one output, y in {0, 1}: l = softplus(f) - y f; u = s - y; H_l = s (1 - s),
//                   s = sigmoid(f). The paper's logistic-regression check (H = G for a linear model).
// All three are convex in f, so H_l is positive semi-definite.
#pragma once

#include <string>

#include "linalg.h"

namespace hl {

enum class LossKind { CrossEntropy, Mse, Logistic };

LossKind parse_loss(const std::string& name);  // throws InvalidArgument
const char* loss_name(LossKind k);

/// Loss of one sample; writes u (k values) when u != nullptr and H_l (k x k, row-major) when
/// hess != nullptr. Numerically stable (log-sum-exp, softplus).
double sample_loss(LossKind kind, const double* f, Index k, Index label, double* u, double* hess);

}  // namespace hl
