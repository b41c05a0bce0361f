#pragma once
// The parameter of the test suites that run over every activation and input dimension (the
// gradient checks, the reverse-mode gradient, the CUDA emulation), its name in test listings
// ("relu_pe_2d"), the network such a suite builds from it, and the suites' random inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/network/activation.h"
#include "core/network/network_config.h"

namespace siren::test_support {

struct ActivationCase {
  Activation act;
  int dim;
};

inline std::string case_name(const ::testing::TestParamInfo<ActivationCase>& info) {
  std::string a = to_string(info.param.act);
  std::replace(a.begin(), a.end(), '-', '_');
  return a + "_" + std::to_string(info.param.dim) + "d";
}

// A network of the case's activation and input dimension: SIREN's initialisation for sine and
// PyTorch's default for the baselines, three encoding frequencies for ReLU P.E.
inline NetworkConfig case_network(const ActivationCase& c, int out_dim, int hidden, int layers) {
  NetworkConfig cfg;
  cfg.in_dim = c.dim;
  cfg.out_dim = out_dim;
  cfg.hidden_features = hidden;
  cfg.hidden_layers = layers;
  cfg.activation = c.act;
  cfg.pe_frequencies = c.act == Activation::ReluPE ? 3 : 0;
  cfg.init = c.act == Activation::Sine ? InitScheme::Siren : InitScheme::TorchDefault;
  return cfg;
}

// n floats drawn uniformly from [lo, hi), reproducibly from the seed.
inline std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

}  // namespace siren::test_support
