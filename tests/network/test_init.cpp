// The paper's key idea: with its init, every hidden sine layer sees pre-activations w0 * W h
// distributed as N(0, 1) and outputs arcsine-distributed activations, at any depth. Measured here
// through 8 sine layers of the real network; the naive init (PyTorch's default) must not manage it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/backend/cpu/mlp.h"
#include "core/network/parameters.h"

namespace siren {
namespace {

struct Moments {
  double mean = 0, std = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= double(v.size());
  for (double x : v) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / double(v.size()));
  return m;
}

struct LayerStats {
  Moments weight_part;  // w0 * W h, the quantity of the paper's lemma
  Moments pre;          // w0 * (W h + b)
  Moments act;          // sin(w0 * (W h + b))
};

std::vector<LayerStats> measure(InitScheme init) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 1;
  cfg.hidden_features = 256;
  cfg.hidden_layers = 7;  // 8 sine layers
  cfg.init = init;
  const std::vector<float> p = init_parameters(cfg, 42);
  const size_t n = 2048;
  std::vector<float> x(n * 2);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& v : x) v = u(rng);
  cpu::Mlp<float> mlp(cfg);
  cpu::MlpWorkspace<float> ws;
  ws.reserve(cfg, JetMode::Value, n, false);
  mlp.forward(p.data(), x.data(), n, JetMode::Value, ws);
  std::vector<LayerStats> out;
  const int w = cfg.hidden_features;
  for (int a = 0; a < cfg.num_linear_layers() - 1; ++a) {
    const float* b = p.data() + cfg.bias_offset(a);
    const double w0 = cfg.layer_omega0(a);
    std::vector<double> wp, pre, act;
    for (size_t s = 0; s < n; ++s)
      for (int f = 0; f < w; ++f) {
        const double z = ws.z[size_t(a)][s * size_t(w) + size_t(f)];
        wp.push_back(w0 * (z - b[f]));
        pre.push_back(w0 * z);
        act.push_back(ws.h[size_t(a)][s * size_t(w) + size_t(f)]);
      }
    out.push_back({moments(wp), moments(pre), moments(act)});
  }
  return out;
}

TEST(SirenInit, PreActivationsStayStandardNormalThroughEightLayers) {
  const std::vector<LayerStats> s = measure(InitScheme::Siren);
  ASSERT_EQ(s.size(), 8u);
  // The first layer deliberately spans several periods of the sine; the lemma covers the others.
  for (size_t a = 1; a < s.size(); ++a) {
    SCOPED_TRACE("sine layer " + std::to_string(a + 1));
    // One fixed network: each neuron's mean over the inputs is random with spread ~1, so the mean over
    // 256 neurons scatters by ~1/16 around 0.
    EXPECT_NEAR(s[a].weight_part.mean, 0.0, 0.2);
    EXPECT_NEAR(s[a].weight_part.std, 1.0, 0.08);
    // The reference keeps PyTorch's bias init, which adds Var(w0 b) = w0^2 / (3 n) = 1.17: the total
    // stays put through depth instead of drifting.
    EXPECT_NEAR(s[a].pre.std, std::sqrt(1.0 + 900.0 / (3.0 * 256.0)), 0.12);
    // sin of a wide zero-mean Gaussian is close to arcsine-distributed: mean 0, std 1/sqrt(2).
    EXPECT_NEAR(s[a].act.mean, 0.0, 0.15);
    EXPECT_NEAR(s[a].act.std, std::sqrt(0.5), 0.06);
  }
}

TEST(SirenInit, NaiveInitBlowsPreActivationsUp) {
  const std::vector<LayerStats> s = measure(InitScheme::TorchDefault);
  // U(-1/sqrt(n), 1/sqrt(n)) times w0 = 30 gives std sqrt(900 / 6) ~ 12 per hidden layer.
  for (size_t a = 1; a < s.size(); ++a) EXPECT_GT(s[a].weight_part.std, 8.0) << "layer " << a + 1;
}

}  // namespace
}  // namespace siren
