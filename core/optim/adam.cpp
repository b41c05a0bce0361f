#include "core/optim/adam.h"

#include <algorithm>
#include <cmath>

namespace siren {

Adam::Adam(size_t n, const AdamConfig& config) : config_(config), m_(n, 0.0f), v_(n, 0.0f) {}

void Adam::reset() {
  t_ = 0;
  std::fill(m_.begin(), m_.end(), 0.0f);
  std::fill(v_.begin(), v_.end(), 0.0f);
}

double clip_grad_norm(float* grads, size_t n, float max_norm) {
  double sq = 0;
#pragma omp parallel for simd reduction(+ : sq)
  for (size_t i = 0; i < n; ++i) sq += double(grads[i]) * grads[i];
  const double norm = std::sqrt(sq);
  if (max_norm > 0 && norm > max_norm) {
    // PyTorch's clip_grad_norm_ adds 1e-6 to the norm; keep it for identical trajectories.
    const float scale = float(max_norm / (norm + 1e-6));
#pragma omp parallel for simd
    for (size_t i = 0; i < n; ++i) grads[i] *= scale;
  }
  return norm;
}

void Adam::step(float* params, float* grads) {
  const size_t n = m_.size();
  if (config_.clip_grad_norm > 0) clip_grad_norm(grads, n, config_.clip_grad_norm);
  ++t_;
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.eps;
  const double bc1 = 1.0 - std::pow(double(b1), double(t_));
  const double bc2 = 1.0 - std::pow(double(b2), double(t_));
  const float step_size = float(config_.lr / bc1);
  const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
  float* m = m_.data();
  float* v = v_.data();
#pragma omp parallel for simd
  for (size_t i = 0; i < n; ++i) {
    const float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace siren
