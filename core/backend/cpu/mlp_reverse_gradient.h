#pragma once
#include <cstddef>
#include <vector>

#include "core/network/network_config.h"

namespace siren::cpu {

// The value and input gradient of a network with ONE output by reverse mode, and the adjoint of
// both, for the losses that need only first derivatives (SDF, gradient supervision of one channel).
//
// Why beside the jets (Mlp, DESIGN.md section 3): jets carry 1 + d columns through every layer
// forward and backward, 3(1 + d) one-column GEMM passes per sample (12 for an SDF). For one output,
// the gradient is one backward sweep, and the adjoint of that sweep one forward sweep along a single
// direction, so a step costs 6 passes whatever d is: half the GEMM work of 3-D jets and a quarter of
// their activation memory. Jets stay for the Laplacian and for several outputs, where they win.
//
// Forward: z_l = W_l h_(l-1) + b_l, h_l = sigma(z_l), phi = W_L h_(L-1) + b_L; then
//   g_(L-1) = W_L^T, delta_l = g_l * sigma'(z_l), g_(l-1) = W_l^T delta_l, grad phi = J_enc^T g_enc.
// Backward, given phi_bar and gbar (dLoss/d grad phi): gbar_enc = J_enc gbar, then upwards
//   W_l_bar += delta_l gbar_(l-1)^T, dbar_l = W_l gbar_(l-1), gbar_l = dbar_l * sigma'(z_l),
//   zbar_l = dbar_l * g_l * sigma''(z_l), W_L_bar += gbar_(L-1)^T,
// then the ordinary backward sweep from phi_bar with zbar_l added at each activation.
// The output and its adjoint use Mlp's Gradient-mode layout for one output (phi, d phi/dx_1..d), so
// the losses are shared unchanged.
template <typename T>
struct ReverseGradientWorkspace {
  std::vector<T> input;  // n x (1 + d) x encoded_dim: the encoding and its x-derivatives (Gradient-mode jets)
  std::vector<std::vector<T>> h, d1, d2, g, delta;  // per activation layer, n x width
  std::vector<T> out;          // n x (1 + d)
  std::vector<T> out_adjoint;  // n x (1 + d), dLoss/d(out), filled by the caller
  std::vector<T> adj_a, adj_b;  // n x max(width, encoded_dim)
  std::vector<T> scratch;       // width: the activation's third derivative, unused here

  void reserve(const NetworkConfig& cfg, size_t samples, bool training);
};

template <typename T>
class ReverseGradientMlp {
 public:
  // Throws siren::Error unless supports(cfg).
  explicit ReverseGradientMlp(const NetworkConfig& cfg);
  static bool supports(const NetworkConfig& cfg) { return cfg.out_dim == 1; }
  const NetworkConfig& config() const { return cfg_; }

  // phi and grad phi of n samples into ws.out.
  void forward(const T* params, const float* x, size_t n, ReverseGradientWorkspace<T>& ws) const;
  // Adjoint of the last forward(): reads ws.out_adjoint and ADDS dLoss/dparams to grads. Overwrites
  // ws.g and the adjoint scratch.
  void backward(const T* params, size_t n, ReverseGradientWorkspace<T>& ws, T* grads) const;

 private:
  NetworkConfig cfg_;
};

extern template class ReverseGradientMlp<float>;
extern template class ReverseGradientMlp<double>;
extern template struct ReverseGradientWorkspace<float>;
extern template struct ReverseGradientWorkspace<double>;

}  // namespace siren::cpu
