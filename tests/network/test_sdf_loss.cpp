// The SDF loss's adjoint against central differences of the loss, per output jet, and its value on
// hand-made cases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/network/sdf_loss.h"

namespace siren {
namespace {

TEST(SdfLoss, AdjointMatchesFiniteDifferences) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  const size_t n = 8, n_on = 5, n_off = 3;
  std::vector<double> out(n * 4);
  for (auto& v : out) v = u(rng);
  std::vector<float> t(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const double nx = u(rng), ny = u(rng), nz = u(rng), len = std::sqrt(nx * nx + ny * ny + nz * nz);
    t[i * 4 + 0] = float(nx / len);
    t[i * 4 + 1] = float(ny / len);
    t[i * 4 + 2] = float(nz / len);
    t[i * 4 + 3] = i < n_on ? 1.0f : 0.0f;
  }
  for (size_t i = n_on; i < n; ++i) out[i * 4] *= 0.01;  // near the surface, where exp(-100|phi|) matters
  std::vector<double> adj(n * 4), scratch(n * 4);
  sdf_loss<double>(out.data(), t.data(), n, n_on, n_off, adj.data());
  for (size_t j = 0; j < out.size(); ++j) {
    const double h = 1e-7;
    std::vector<double> p = out, m = out;
    p[j] += h;
    m[j] -= h;
    const double fd = (sdf_loss<double>(p.data(), t.data(), n, n_on, n_off, scratch.data()) -
                       sdf_loss<double>(m.data(), t.data(), n, n_on, n_off, scratch.data())) /
                      (2 * h);
    EXPECT_NEAR(adj[j], fd, 1e-5 * std::max(1.0, std::fabs(fd))) << "jet " << j;
  }
}

TEST(SdfLoss, ExactSdfOfAPlaneCostsOnlyTheOffSurfaceTerm) {
  // phi = z with gradient (0,0,1): zero on the surface point, unit gradient, aligned normal.
  const double out[8] = {0.0, 0, 0, 1, 0.5, 0, 0, 1};
  const float t[8] = {0, 0, 1, 1, 0, 0, 0, 0};
  double adj[8];
  const double loss = sdf_loss<double>(out, t, 2, 1, 1, adj);
  EXPECT_NEAR(loss, 1e2 * std::exp(-50.0), 1e-12);
  // A flipped normal costs 1e2 * (1 - cos) = 200 on the one surface point.
  const float flipped[8] = {0, 0, -1, 1, 0, 0, 0, 0};
  EXPECT_NEAR(sdf_loss<double>(out, flipped, 2, 1, 1, adj), 200.0 + 1e2 * std::exp(-50.0), 1e-9);
}

}  // namespace
}  // namespace siren
