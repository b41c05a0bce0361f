#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "core/network/inspect.h"
#include "core/network/parameters.h"

namespace siren {
namespace {

TEST(LayerStatistics, HistogramsDescribeEachLayerAndIntegrateToOne) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 1;
  cfg.hidden_features = 128;
  cfg.hidden_layers = 3;
  std::vector<float> x(2 * 1024);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& v : x) v = u(rng);
  const auto stats = layer_statistics(cfg, init_parameters(cfg, 1), x.data(), 1024, 40);
  ASSERT_EQ(stats.size(), 4u);
  for (size_t l = 1; l < stats.size(); ++l) {
    const Histogram& a = stats[l].activation;
    ASSERT_EQ(a.density.size(), 40u);
    double integral = 0;
    for (float d : a.density) integral += d * (a.hi - a.lo) / 40.0;
    EXPECT_NEAR(integral, 1.0, 0.01);
    // w0 * (W h + b) of a hidden sine layer: std sqrt(1 + w0^2 / (3n)) with n = 128.
    EXPECT_NEAR(stats[l].pre_activation.stddev, std::sqrt(1.0 + 900.0 / 384.0), 0.25);
    EXPECT_NEAR(a.stddev, std::sqrt(0.5), 0.08);
    // Arcsine: the density piles up at +-1 and is lowest in the middle.
    EXPECT_NEAR(a.lo, -1.0f, 0.05f);
    EXPECT_NEAR(a.hi, 1.0f, 0.05f);
    EXPECT_GT(a.density.front(), 2.0f * a.density[20]);
    EXPECT_GT(a.density.back(), 2.0f * a.density[20]);
  }
  // The naive init blows the hidden pre-activations up.
  cfg.init = InitScheme::TorchDefault;
  const auto naive = layer_statistics(cfg, init_parameters(cfg, 1), x.data(), 1024, 40);
  EXPECT_GT(naive[2].pre_activation.stddev, 5.0);
}

}  // namespace
}  // namespace siren
