#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace siren {

struct AdamConfig {
  float lr = 1e-4f;  // the reference's learning rate for every experiment
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float clip_grad_norm = 0;  // > 0: scale the gradient to at most this global L2 norm (SDF uses 1)
};

// Adam (Kingma & Ba) with PyTorch's update order and bias correction, on a flat parameter vector.
class Adam {
 public:
  Adam(size_t num_parameters, const AdamConfig& config);
  void step(float* params, float* grads);  // grads may be scaled in place by clipping
  void reset();                            // forget the moments, as a fresh optimiser
  uint64_t steps() const { return t_; }
  AdamConfig& config() { return config_; }
  const AdamConfig& config() const { return config_; }

 private:
  AdamConfig config_;
  uint64_t t_ = 0;
  std::vector<float> m_, v_;
};

// Scales grads to at most max_norm in L2 and returns the norm before scaling.
double clip_grad_norm(float* grads, size_t n, float max_norm);

}  // namespace siren
