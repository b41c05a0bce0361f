#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/optim/adam.h"

namespace siren {
namespace {

// Adam as written in Kingma & Ba / torch.optim.Adam, in double, as the reference.
struct ReferenceAdam {
  double lr, b1, b2, eps;
  std::vector<double> m, v;
  int t = 0;
  void step(std::vector<double>& p, const std::vector<double>& g) {
    ++t;
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const double mh = m[i] / (1 - std::pow(b1, t)), vh = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mh / (std::sqrt(vh) + eps);
    }
  }
};

TEST(Adam, MatchesReferenceOverManySteps) {
  const size_t n = 1000;
  AdamConfig cfg;
  cfg.lr = 1e-3f;
  Adam adam(n, cfg);
  ReferenceAdam ref{1e-3, 0.9, 0.999, 1e-8, std::vector<double>(n), std::vector<double>(n)};
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> p(n);
  for (auto& x : p) x = nd(rng);
  std::vector<double> pd(p.begin(), p.end());
  for (int step = 0; step < 50; ++step) {
    std::vector<float> g(n);
    for (size_t i = 0; i < n; ++i) g[i] = nd(rng) * (i % 3 == 0 ? 1e-4f : 1.0f);
    ref.step(pd, std::vector<double>(g.begin(), g.end()));
    adam.step(p.data(), g.data());
  }
  EXPECT_EQ(adam.steps(), 50u);
  for (size_t i = 0; i < n; ++i) EXPECT_NEAR(p[i], pd[i], 1e-5) << i;
}

TEST(Adam, ClipsTheGlobalNorm) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_NEAR(clip_grad_norm(g.data(), 2, 1.0f), 5.0, 1e-9);
  EXPECT_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-5);
  EXPECT_NEAR(g[0] / g[1], 0.75, 1e-6);
  std::vector<float> small = {0.3f, 0.4f};
  clip_grad_norm(small.data(), 2, 1.0f);
  EXPECT_FLOAT_EQ(small[0], 0.3f);
}

TEST(Adam, ResetForgetsMoments) {
  AdamConfig cfg;
  Adam a(1, cfg), fresh(1, cfg);
  float p = 1, q = 1, g = 1;
  a.step(&p, &g);
  a.reset();
  p = 1;
  float g2 = -2;
  a.step(&p, &g2);
  fresh.step(&q, &g2);
  EXPECT_FLOAT_EQ(p, q);
}

}  // namespace
}  // namespace siren
