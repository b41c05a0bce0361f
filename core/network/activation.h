#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace siren {

// The hidden nonlinearity of an MLP. ReluPE is a ReLU network behind a positional encoding of its
// input (NeRF style); the nonlinearity itself is a ReLU.
enum class Activation { Sine, Relu, ReluPE, Tanh, Softplus, Elu, Selu };

const char* to_string(Activation a);
std::optional<Activation> parse_activation(std::string_view name);
// "sine|relu|relu-pe|tanh|softplus|elu|selu", for help texts and error messages.
std::string activation_names();

// Value and first three derivatives of an activation at z. Jets need sigma' and sigma'' for the
// forward pass (D h = s1 Dz, L h = s1 Lz + s2 sum (Dz)^2) and sigma''' for the adjoint of the
// Laplacian column. ReLU-like kinks get the derivative of the branch they are on (0 at the kink).
template <typename T>
struct ActivationDerivs {
  T f, d1, d2, d3;
};

// Sine with frequency w0 is the activation sigma(z) = sin(w0 z); other activations ignore w0.
// `sincos` lets the vectorised float path pass in its own polynomial sin/cos.
template <typename T>
inline ActivationDerivs<T> sine_derivs(T s, T c, T w0) {
  return {s, w0 * c, -w0 * w0 * s, -w0 * w0 * w0 * c};
}

template <typename T>
inline ActivationDerivs<T> relu_derivs(T z) {
  return z > T(0) ? ActivationDerivs<T>{z, T(1), T(0), T(0)} : ActivationDerivs<T>{T(0), T(0), T(0), T(0)};
}

template <typename T>
inline ActivationDerivs<T> tanh_derivs(T z) {
  const T t = std::tanh(z);
  const T d1 = T(1) - t * t;
  const T d2 = T(-2) * t * d1;
  const T d3 = T(-2) * d1 * (d1 - T(2) * t * t);
  return {t, d1, d2, d3};
}

template <typename T>
inline ActivationDerivs<T> softplus_derivs(T z) {
  // log(1 + e^z) without overflow for large z; the logistic function for its derivatives.
  const T f = z > T(0) ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
  const T s = T(1) / (T(1) + std::exp(-z));
  const T d2 = s * (T(1) - s);
  return {f, s, d2, d2 * (T(1) - T(2) * s)};
}

// ELU and SELU with PyTorch's constants.
template <typename T>
inline ActivationDerivs<T> elu_derivs(T z, T alpha = T(1), T scale = T(1)) {
  if (z > T(0)) return {scale * z, scale, T(0), T(0)};
  const T e = scale * alpha * std::exp(z);
  return {e - scale * alpha, e, e, e};
}

template <typename T>
inline ActivationDerivs<T> selu_derivs(T z) {
  return elu_derivs<T>(z, T(1.6732632423543772848170429916717), T(1.0507009873554804934193349852946));
}

// Generic dispatch, for reference code and tests; the CPU kernels specialise per activation.
template <typename T>
inline ActivationDerivs<T> activation_derivs(Activation a, T z, T w0) {
  switch (a) {
    case Activation::Sine: return sine_derivs<T>(std::sin(w0 * z), std::cos(w0 * z), w0);
    case Activation::Relu:
    case Activation::ReluPE: return relu_derivs(z);
    case Activation::Tanh: return tanh_derivs(z);
    case Activation::Softplus: return softplus_derivs(z);
    case Activation::Elu: return elu_derivs(z);
    case Activation::Selu: return selu_derivs(z);
  }
  return {};
}

}  // namespace siren
