#pragma once
#include <cstdint>
#include <vector>

#include "core/network/network_config.h"

namespace siren {

// Fresh weights for `config`, laid out as NetworkConfig::weight_offset/bias_offset describe.
// Siren: W ~ U(-sqrt(6/n)/w0, +sqrt(6/n)/w0) with n = fan-in (the first layer U(-1/n, 1/n)), biases
// U(-1/sqrt(n), 1/sqrt(n)) as PyTorch leaves them. TorchDefault: W and b ~ U(-1/sqrt(n), 1/sqrt(n)).
std::vector<float> init_parameters(const NetworkConfig& config, uint64_t seed);

}  // namespace siren
