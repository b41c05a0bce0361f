#include "core/network/network_config.h"

#include <cmath>
#include <cstdio>

#include "core/util/error.h"

namespace siren {

int NetworkConfig::encoded_dim() const {
  return activation == Activation::ReluPE ? in_dim * (1 + 2 * pe_frequencies) : in_dim;
}

int NetworkConfig::fan_in(int layer) const { return layer == 0 ? encoded_dim() : hidden_features; }

int NetworkConfig::fan_out(int layer) const {
  return layer == num_linear_layers() - 1 ? out_dim : hidden_features;
}

size_t NetworkConfig::weight_offset(int layer) const {
  size_t off = 0;
  for (int l = 0; l < layer; ++l) off += size_t(fan_out(l)) * (fan_in(l) + 1);
  return off;
}

size_t NetworkConfig::num_parameters() const { return weight_offset(num_linear_layers()); }

void NetworkConfig::validate() const {
  auto fail = [](const std::string& what) { throw Error("invalid network: " + what); };
  if (in_dim < 1 || in_dim > 3) fail("input dimension must be 1, 2 or 3 (got " + std::to_string(in_dim) + ")");
  if (out_dim < 1 || out_dim > 16) fail("output dimension must be 1..16 (got " + std::to_string(out_dim) + ")");
  if (hidden_features < 1 || hidden_features > 4096)
    fail("--hidden must be 1..4096 (got " + std::to_string(hidden_features) + ")");
  if (hidden_layers < 0 || hidden_layers > 64)
    fail("--layers must be 0..64 (got " + std::to_string(hidden_layers) + ")");
  if (!std::isfinite(omega0) || omega0 <= 0 || !std::isfinite(first_omega0) || first_omega0 <= 0)
    fail("--omega0 must be a positive number");
  if (activation == Activation::ReluPE && (pe_frequencies < 1 || pe_frequencies > 24))
    fail("relu-pe needs 1..24 positional-encoding frequencies (got " + std::to_string(pe_frequencies) + ")");
}

std::string NetworkConfig::describe() const {
  char buf[160];
  std::string params = std::to_string(num_parameters());
  for (int i = int(params.size()) - 3; i > 0; i -= 3) params.insert(size_t(i), ",");
  if (activation == Activation::Sine)
    std::snprintf(buf, sizeof buf, "sine %d->%dx%d->%d (w0 %g%s, %s parameters)", in_dim, hidden_features,
                  hidden_layers + 1, out_dim, double(omega0),
                  first_omega0 != omega0 ? (", first " + std::to_string(int(first_omega0))).c_str() : "",
                  params.c_str());
  else
    std::snprintf(buf, sizeof buf, "%s %d->%dx%d->%d (%s parameters)", to_string(activation), in_dim,
                  hidden_features, hidden_layers + 1, out_dim, params.c_str());
  return buf;
}

int nyquist_pe_frequencies(int in_dim, int samples_per_side) {
  if (in_dim == 3) return 10;
  // nyquist_rate = 1 / (2 * (2 / samples)); frequencies = floor(log2(nyquist_rate)).
  const double nyquist = samples_per_side / 4.0;
  return nyquist >= 2.0 ? int(std::floor(std::log2(nyquist))) : 1;
}

}  // namespace siren
