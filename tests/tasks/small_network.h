#pragma once
// The network the task tests fit in seconds on two cores: 2 -> 64x3 -> 1 (two hidden layers), the
// activation's own init (SIREN's for sine, PyTorch's default for the baselines).
#include "core/network/network_config.h"

namespace siren::task_tests {

inline NetworkConfig small_image_network(Activation act = Activation::Sine) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 1;
  cfg.hidden_features = 64;
  cfg.hidden_layers = 2;
  cfg.activation = act;
  if (act != Activation::Sine) cfg.init = InitScheme::TorchDefault;
  return cfg;
}

}  // namespace siren::task_tests
