// Hidden-layer activations with their first and second derivatives (needed by the residual part
// of the Hessian). ReLU's derivative at 0 is taken as 0, as in PyTorch; its second derivative is 0.
#pragma once

#include <cmath>
#include <string>

namespace hl {

enum class Activation { Relu, Tanh, Sigmoid, Linear };

Activation parse_activation(const std::string& name);  // throws InvalidArgument
const char* activation_name(Activation a);

inline double act_value(Activation a, double z) {
  switch (a) {
    case Activation::Relu: return z > 0 ? z : 0.0;
    case Activation::Tanh: return std::tanh(z);
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Activation::Linear: return z;
  }
  return z;
}

inline double act_d1(Activation a, double z) {
  switch (a) {
    case Activation::Relu: return z > 0 ? 1.0 : 0.0;
    case Activation::Tanh: { double t = std::tanh(z); return 1.0 - t * t; }
    case Activation::Sigmoid: { double s = 1.0 / (1.0 + std::exp(-z)); return s * (1.0 - s); }
    case Activation::Linear: return 1.0;
  }
  return 1.0;
}

inline double act_d2(Activation a, double z) {
  switch (a) {
    case Activation::Relu: return 0.0;
    case Activation::Tanh: { double t = std::tanh(z); return -2.0 * t * (1.0 - t * t); }
    case Activation::Sigmoid: { double s = 1.0 / (1.0 + std::exp(-z)); return s * (1.0 - s) * (1.0 - 2.0 * s); }
    case Activation::Linear: return 0.0;
  }
  return 0.0;
}

}  // namespace hl
