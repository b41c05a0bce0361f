// Finite-difference checks, in double precision, of everything the jets compute: input gradients and
// Laplacians of the network, and parameter gradients of every loss, for every activation and input
// dimension. The code under test is the CPU backend's own kernel (Mlp<double>), not a copy of it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cpu/mlp.h"
#include "core/network/loss.h"
#include "core/network/parameters.h"
#include "tests/network/activation_case.h"

namespace siren {
namespace {

using cpu::Mlp;
using cpu::MlpWorkspace;

using Case = test_support::ActivationCase;
using test_support::case_name;

NetworkConfig small_config(const Case& c) {
  NetworkConfig cfg;
  cfg.in_dim = c.dim;
  cfg.out_dim = 2;
  cfg.hidden_features = 12;
  cfg.hidden_layers = 2;
  cfg.activation = c.act;
  cfg.pe_frequencies = c.act == Activation::ReluPE ? 3 : 0;
  cfg.first_omega0 = 30.0f;
  cfg.omega0 = 30.0f;
  return cfg;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<float> random_points(int n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.9f, 0.9f);
  std::vector<float> x(size_t(n) * dim);
  for (auto& v : x) v = u(rng);
  return x;
}

// Output jets of one sample, rows x out_dim.
std::vector<double> jets_at(const Mlp<double>& mlp, const std::vector<double>& p, const std::vector<float>& x,
                            JetMode mode) {
  MlpWorkspace<double> ws;
  ws.reserve(mlp.config(), mode, 1, false);
  mlp.forward(p.data(), x.data(), 1, mode, ws);
  const int rows = jet_rows(mode, mlp.config().in_dim);
  return {ws.out.begin(), ws.out.begin() + rows * mlp.config().out_dim};
}

void expect_close(double analytic, double numeric, double rel, const std::string& what) {
  const double scale = std::max({std::fabs(analytic), std::fabs(numeric), 1e-3});
  EXPECT_LE(std::fabs(analytic - numeric), rel * scale) << what << ": analytic " << analytic << " numeric " << numeric;
}

class GradCheck : public ::testing::TestWithParam<Case> {};

// D_k y against central differences of y; L y against central differences of the (checked) D_k y.
TEST_P(GradCheck, InputJetsMatchFiniteDifferences) {
  const NetworkConfig cfg = small_config(GetParam());
  const Mlp<double> mlp(cfg);
  const std::vector<double> p = to_double(init_parameters(cfg, 7));
  const int d = cfg.in_dim, c = cfg.out_dim;
  // Coordinates are floats in the API; steps must be representable, so perturb in float-exact
  // units and use a step of 2^-14 for the value and 2^-17 for the Laplacian's inner derivative.
  const std::vector<float> pts = random_points(5, d, 11);
  for (int s = 0; s < 5; ++s) {
    std::vector<float> x(pts.begin() + s * d, pts.begin() + (s + 1) * d);
    const std::vector<double> j = jets_at(mlp, p, x, JetMode::Laplacian);
    // The jets of every mode agree with each other.
    const std::vector<double> jv = jets_at(mlp, p, x, JetMode::Value);
    const std::vector<double> jg = jets_at(mlp, p, x, JetMode::Gradient);
    for (int o = 0; o < c; ++o) {
      EXPECT_DOUBLE_EQ(jv[o], j[o]);
      for (int k = 0; k < d; ++k) EXPECT_NEAR(jg[partial_row(k) * c + o], j[partial_row(k) * c + o], 1e-12);
    }
    double lap_fd[2] = {0, 0};
    for (int k = 0; k < d; ++k) {
      const float h = 0x1p-14f;
      std::vector<float> xp = x, xm = x;
      xp[k] += h;
      xm[k] -= h;
      const double step = double(xp[k]) - double(xm[k]);
      const std::vector<double> jp = jets_at(mlp, p, xp, JetMode::Gradient);
      const std::vector<double> jm = jets_at(mlp, p, xm, JetMode::Gradient);
      for (int o = 0; o < c; ++o) {
        expect_close(j[partial_row(k) * c + o], (jp[o] - jm[o]) / step, 2e-4, "D" + std::to_string(k));
        lap_fd[o] += (jp[partial_row(k) * c + o] - jm[partial_row(k) * c + o]) / step;
      }
    }
    // Piecewise activations (ReLU, ELU, SELU) are checked away from their kinks, where random
    // points almost surely are.
    for (int o = 0; o < c; ++o) expect_close(j[laplacian_row(d) * c + o], lap_fd[o], 2e-4, "Laplacian");
  }
}

// dLoss/dparams from backward() against central differences of the loss, for all three losses.
TEST_P(GradCheck, ParameterGradientsMatchFiniteDifferences) {
  const NetworkConfig cfg = small_config(GetParam());
  const Mlp<double> mlp(cfg);
  std::vector<double> p = to_double(init_parameters(cfg, 3));
  const int d = cfg.in_dim, c = cfg.out_dim, n = 6;
  const std::vector<float> x = random_points(n, d, 5);
  for (LossKind kind : {LossKind::Value, LossKind::Gradient, LossKind::Laplacian}) {
    const JetMode mode = loss_jet_mode(kind);
    const int tw = target_width(kind, d, c);
    std::vector<float> targets = random_points(n, tw, 9);
    const double scale = 1.0 / (n * c);
    MlpWorkspace<double> ws;
    ws.reserve(cfg, mode, size_t(n), true);
    auto loss_at = [&](const std::vector<double>& q) {
      mlp.forward(q.data(), x.data(), size_t(n), mode, ws);
      return squared_error<double>(kind, d, c, ws.out.data(), targets.data(), size_t(n), scale,
                                   ws.out_adjoint.data()) * scale;
    };
    loss_at(p);
    std::vector<double> grads(p.size(), 0.0);
    mlp.backward(p.data(), size_t(n), mode, ws, grads.data());
    // Every bias and a spread of weights of every layer.
    std::vector<size_t> idx;
    for (int l = 0; l < cfg.num_linear_layers(); ++l) {
      const size_t w0 = cfg.weight_offset(l), b0 = cfg.bias_offset(l);
      for (size_t i = w0; i < b0; i += 7) idx.push_back(i);
      for (int i = 0; i < cfg.fan_out(l); ++i) idx.push_back(b0 + size_t(i));
    }
    for (size_t i : idx) {
      const double h = 1e-6 * std::max(1.0, std::fabs(p[i]));
      std::vector<double> q = p;
      q[i] = p[i] + h;
      const double lp = loss_at(q);
      q[i] = p[i] - h;
      const double lm = loss_at(q);
      const double fd = (lp - lm) / (2 * h);
      const double g = grads[i];
      const double tol = 1e-5 * std::max({std::fabs(g), std::fabs(fd), 1e-4});
      EXPECT_LE(std::fabs(g - fd), tol) << to_string(kind) << " loss, parameter " << i << ": backward " << g
                                        << " finite difference " << fd;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllActivations, GradCheck,
    ::testing::ValuesIn([] {
      std::vector<Case> cases;
      for (Activation a : {Activation::Sine, Activation::Relu, Activation::ReluPE, Activation::Tanh,
                           Activation::Softplus, Activation::Elu, Activation::Selu})
        for (int d : {1, 2, 3}) cases.push_back({a, d});
      return cases;
    }()),
    case_name);

}  // namespace
}  // namespace siren
