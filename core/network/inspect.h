#pragma once
#include <cstddef>
#include <vector>

#include "core/network/network_config.h"

namespace siren {

struct Histogram {
  float lo = 0, hi = 0;          // range of the bins
  std::vector<float> density;    // per bin, integrates to 1 over [lo, hi]
  double mean = 0, stddev = 0;   // of all values, outliers included
};

// Per activation layer: the distribution of its pre-activations (w0 * (W h + b) for sine layers,
// W h + b otherwise) and of its activations, over the given points. The ablation of the paper's
// init: with it, hidden sine layers stay near N(0,1) / arcsine at any depth.
struct LayerStatistics {
  Histogram pre_activation;
  Histogram activation;
};

// Runs the network's forward pass on the CPU (n points of in_dim coordinates); a few thousand points
// take milliseconds. Bins span mean +- 4 std of each distribution, clipped to its min and max.
std::vector<LayerStatistics> layer_statistics(const NetworkConfig& config, const std::vector<float>& params,
                                              const float* coords, size_t n, int bins = 64);

}  // namespace siren
