// The reverse-mode input gradient (core/backend/cpu/mlp_reverse_gradient.h) against the gradient jets
// (Mlp, themselves checked against finite differences in test_gradcheck.cpp), in double precision:
// the same phi and grad phi, and the same parameter gradient for any adjoint of them, for every
// activation and input dimension. Then the CPU trainer, which takes that path for SDFs and one-channel
// gradient supervision, against the jets on the SDF loss in float.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cpu/cpu_backend.h"
#include "core/backend/cpu/mlp.h"
#include "core/backend/cpu/mlp_reverse_gradient.h"
#include "core/network/parameters.h"
#include "core/network/sdf_loss.h"
#include "core/util/error.h"
#include "tests/network/activation_case.h"

namespace siren {
namespace {

using cpu::Mlp;
using cpu::MlpWorkspace;
using cpu::ReverseGradientMlp;
using cpu::ReverseGradientWorkspace;

using Case = test_support::ActivationCase;
using test_support::case_name;

using test_support::uniform;

NetworkConfig scalar_config(const Case& c) { return test_support::case_network(c, 1, 16, 2); }

double max_rel(const std::vector<double>& a, const std::vector<double>& b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    num = std::max(num, std::fabs(a[i] - b[i]));
    den = std::max(den, std::fabs(b[i]));
  }
  return den > 0 ? num / den : num;
}

class ReverseGradient : public ::testing::TestWithParam<Case> {};

TEST_P(ReverseGradient, MatchesJetsInValueGradientAndParameterGradient) {
  const NetworkConfig cfg = scalar_config(GetParam());
  const int d = cfg.in_dim;
  const size_t n = 37;  // not a multiple of anything the BLAS blocks by
  const std::vector<float> pf = init_parameters(cfg, 3);
  const std::vector<double> p(pf.begin(), pf.end());
  const std::vector<float> x = uniform(n * size_t(d), -0.9f, 0.9f, 4);

  Mlp<double> jets(cfg);
  MlpWorkspace<double> jw;
  jw.reserve(cfg, JetMode::Gradient, n, true);
  jets.forward(p.data(), x.data(), n, JetMode::Gradient, jw);

  ReverseGradientMlp<double> rev(cfg);
  ReverseGradientWorkspace<double> rw;
  rw.reserve(cfg, n, true);
  rev.forward(p.data(), x.data(), n, rw);

  // Same layout for one output: per sample phi, d phi/dx_1..d.
  const size_t width = n * size_t(1 + d);
  EXPECT_LT(max_rel(rw.out, jw.out, width), 1e-12);

  // A random adjoint, through both backward passes.
  const std::vector<float> adj = uniform(width, -1.0f, 1.0f, 5);
  std::copy(adj.begin(), adj.end(), jw.out_adjoint.begin());
  std::copy(adj.begin(), adj.end(), rw.out_adjoint.begin());
  std::vector<double> gj(p.size(), 0.0), gr(p.size(), 0.0);
  jets.backward(p.data(), n, JetMode::Gradient, jw, gj.data());
  rev.backward(p.data(), n, rw, gr.data());
  EXPECT_LT(max_rel(gr, gj, p.size()), 1e-11);

  // Accumulates, as Mlp::backward does: chunks run forward and backward in turn into one gradient.
  rev.forward(p.data(), x.data(), n, rw);
  std::copy(adj.begin(), adj.end(), rw.out_adjoint.begin());
  rev.backward(p.data(), n, rw, gr.data());
  for (auto& v : gj) v *= 2;
  EXPECT_LT(max_rel(gr, gj, p.size()), 1e-11);
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ReverseGradient,
                         ::testing::Values(Case{Activation::Sine, 1}, Case{Activation::Sine, 2},
                                           Case{Activation::Sine, 3}, Case{Activation::Relu, 3},
                                           Case{Activation::ReluPE, 1}, Case{Activation::ReluPE, 3},
                                           Case{Activation::Tanh, 2}, Case{Activation::Softplus, 3},
                                           Case{Activation::Elu, 2}, Case{Activation::Selu, 3}),
                         case_name);

// The trainer on both paths, in float, through several chunks and threads: the same loss and
// gradient for the two losses that take the reverse path.
double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

void expect_paths_agree(const NetworkConfig& cfg, LossKind kind) {
  auto data = std::make_shared<TrainingData>();
  data->in_dim = cfg.in_dim;
  data->out_dim = 1;
  data->loss = kind;
  data->count = 1100;  // five chunks of the reverse path's 256, the last one short
  data->coords = uniform(data->count * size_t(cfg.in_dim), -0.9f, 0.9f, 6);
  data->targets = uniform(data->count * size_t(target_width(kind, cfg.in_dim, 1)), -1.0f, 1.0f, 7);
  if (kind == LossKind::Sdf)
    for (size_t i = 0; i < data->count; ++i) data->targets[i * 4 + 3] = i % 3 ? 1.0f : 0.0f;
  const std::vector<float> p = init_parameters(cfg, 8);
  cpu::CpuBackend reverse, jets(cpu::CpuOptions{false});
  ASSERT_TRUE(cpu::uses_reverse_gradient(cfg, loss_jet_mode(kind), cpu::CpuOptions{}));
  ASSERT_FALSE(cpu::uses_reverse_gradient(cfg, loss_jet_mode(kind), cpu::CpuOptions{false}));
  std::vector<float> gr, gj;
  const double lr = reverse.make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gr);
  const double lj = jets.make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gj);
  EXPECT_NEAR(lr, lj, 1e-5 * std::fabs(lj));
  EXPECT_LT(rel_err(gr, gj), 1e-5);
}

TEST(CpuTrainerReverseGradient, SdfAgreesWithJets) {
  expect_paths_agree(scalar_config({Activation::Sine, 3}), LossKind::Sdf);
}

TEST(CpuTrainerReverseGradient, OneChannelGradientSupervisionAgreesWithJets) {
  expect_paths_agree(scalar_config({Activation::Sine, 2}), LossKind::Gradient);
  expect_paths_agree(scalar_config({Activation::ReluPE, 2}), LossKind::Gradient);
}

// evaluate() in Gradient mode for one output takes the reverse path too: the same field as the jets.
TEST(CpuEvaluateReverseGradient, AgreesWithJets) {
  for (Case c : {Case{Activation::Sine, 3}, Case{Activation::ReluPE, 2}, Case{Activation::Tanh, 1}}) {
    const NetworkConfig cfg = scalar_config(c);
    const std::vector<float> p = init_parameters(cfg, 9);
    const size_t n = 700;  // chunks of 256, the last one short
    const std::vector<float> x = uniform(n * size_t(cfg.in_dim), -0.9f, 0.9f, 10);
    cpu::CpuBackend reverse, jets(cpu::CpuOptions{false});
    const FieldJets a = reverse.evaluate(cfg, p, x.data(), n, JetMode::Gradient);
    const FieldJets b = jets.evaluate(cfg, p, x.data(), n, JetMode::Gradient);
    ASSERT_EQ(a.value.size(), n);
    ASSERT_EQ(a.gradient.size(), n * size_t(cfg.in_dim));
    EXPECT_TRUE(a.laplacian.empty());
    EXPECT_LT(rel_err(a.value, b.value), 1e-5) << to_string(c.act);
    EXPECT_LT(rel_err(a.gradient, b.gradient), 1e-5) << to_string(c.act);
  }
}

TEST(CpuTrainerReverseGradient, OnlyForFirstDerivativesOfOneOutput) {
  NetworkConfig cfg = scalar_config({Activation::Sine, 2});
  EXPECT_FALSE(cpu::uses_reverse_gradient(cfg, loss_jet_mode(LossKind::Value), {}));
  EXPECT_FALSE(cpu::uses_reverse_gradient(cfg, loss_jet_mode(LossKind::Laplacian), {}));
  cfg.out_dim = 3;  // colour gradient supervision (blend): jets
  EXPECT_FALSE(cpu::uses_reverse_gradient(cfg, loss_jet_mode(LossKind::Gradient), {}));
}

TEST(ReverseGradientMlp, NeedsOneOutput) {
  NetworkConfig cfg;
  cfg.out_dim = 3;
  EXPECT_FALSE(ReverseGradientMlp<float>::supports(cfg));
  EXPECT_THROW(ReverseGradientMlp<float>{cfg}, Error);
}

}  // namespace
}  // namespace siren
