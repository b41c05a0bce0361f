#include "core/network/parameters.h"

#include <cmath>
#include <random>

namespace siren {

std::vector<float> init_parameters(const NetworkConfig& config, uint64_t seed) {
  config.validate();
  std::vector<float> p(config.num_parameters());
  std::mt19937_64 rng(seed);
  // Our own mapping of 53 random bits to [lo, hi): std::uniform_real_distribution differs between
  // standard libraries, and a seed should mean the same network everywhere.
  auto uniform = [&rng](double lo, double hi) {
    const double u = double(rng() >> 11) * 0x1.0p-53;
    return float(lo + (hi - lo) * u);
  };
  const bool sine = config.activation == Activation::Sine && config.init == InitScheme::Siren;
  for (int l = 0; l < config.num_linear_layers(); ++l) {
    const double n = config.fan_in(l);
    double w_bound = 1.0 / std::sqrt(n);
    if (sine) w_bound = l == 0 ? 1.0 / n : std::sqrt(6.0 / n) / config.omega0;
    const double b_bound = 1.0 / std::sqrt(n);
    float* w = p.data() + config.weight_offset(l);
    const size_t nw = size_t(config.fan_out(l)) * config.fan_in(l);
    for (size_t i = 0; i < nw; ++i) w[i] = uniform(-w_bound, w_bound);
    float* b = p.data() + config.bias_offset(l);
    for (int i = 0; i < config.fan_out(l); ++i) b[i] = uniform(-b_bound, b_bound);
  }
  return p;
}

}  // namespace siren
