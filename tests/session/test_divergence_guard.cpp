// A learning rate that is too high must never end in garbage weights or a crash: the guard puts the
// last good weights back and halves the learning rate, and gives up with a clear error only when
// that keeps failing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/backend/cpu/cpu_backend.h"
#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/util/error.h"

namespace siren {
namespace {

// A trainer whose weights are a step counter and whose loss turns NaN on the steps it is told.
class ScriptedTrainer final : public Trainer {
 public:
  explicit ScriptedTrainer(std::vector<uint64_t> nan_steps) : nan_steps_(std::move(nan_steps)) {}
  StepStats step() override {
    ++steps_;
    params_[0] += 1.0f;
    const bool nan = std::find(nan_steps_.begin(), nan_steps_.end(), steps_) != nan_steps_.end();
    if (nan) params_[0] = std::numeric_limits<float>::quiet_NaN();
    return {steps_, nan ? std::numeric_limits<double>::quiet_NaN() : 1.0};
  }
  double loss_and_gradient(std::vector<float>& g) override {
    g.assign(1, 0.0f);
    return 1.0;
  }
  std::vector<float> parameters() const override { return params_; }
  void set_parameters(const std::vector<float>& p) override { params_ = p; }
  void set_learning_rate(float lr) override { lr_ = lr; }
  float learning_rate() const override { return lr_; }
  void set_batch_size(size_t) override {}
  const NetworkConfig& config() const override { return cfg_; }

 private:
  std::vector<uint64_t> nan_steps_;
  uint64_t steps_ = 0;
  std::vector<float> params_ = {0.0f};
  float lr_ = 1.0f;
  NetworkConfig cfg_;
};

TEST(DivergenceGuard, RestoresTheLastGoodWeightsAndHalvesTheLearningRate) {
  ScriptedTrainer t({13});
  DivergenceGuard guard(5);
  for (int i = 0; i < 12; ++i) EXPECT_FALSE(guard.after_step(t, t.step()));
  // Snapshots at steps 1, 6 and 11 (every 5 steps); step 13 diverges.
  EXPECT_TRUE(guard.after_step(t, t.step()));
  EXPECT_EQ(t.parameters()[0], 11.0f);
  EXPECT_EQ(t.learning_rate(), 0.5f);
  EXPECT_EQ(guard.restores(), 1);
  EXPECT_NE(guard.message().find("step 13"), std::string::npos) << guard.message();
  EXPECT_NE(guard.message().find("step 11"), std::string::npos) << guard.message();
}

TEST(DivergenceGuard, GivesUpWithAClearErrorWhenDivergenceRepeats) {
  std::vector<uint64_t> all;
  for (uint64_t s = 2; s < 100; ++s) all.push_back(s);
  ScriptedTrainer t(all);
  DivergenceGuard guard(1, 3);
  try {
    for (int i = 0; i < 50; ++i) guard.after_step(t, t.step());
    FAIL() << "the guard never gave up";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--lr"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.parameters()[0], 1.0f);  // the only good weights it ever saw
}

TEST(DivergenceGuard, RealNetworkWithAbsurdLearningRateEndsFiniteOrWithError) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 1;
  cfg.hidden_features = 16;
  cfg.hidden_layers = 1;
  auto data = std::make_shared<TrainingData>();
  data->count = 256;
  for (int i = 0; i < 256; ++i) {
    data->coords.push_back(float(i % 16) / 7.5f - 1.0f);
    data->coords.push_back(float(i / 16) / 7.5f - 1.0f);
    data->targets.push_back(float(i % 2));
  }
  cpu::CpuBackend backend;
  AdamConfig adam;
  adam.lr = 1e37f;  // weights overflow float within a few steps
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 0), adam, data, 0, 0);
  int restores = 0;
  try {
    restores = run_fit(*trainer, 200, nullptr).restores;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos);
    return;
  }
  EXPECT_GT(restores, 0);
  for (float p : trainer->parameters()) ASSERT_TRUE(std::isfinite(p));
  EXPECT_LT(trainer->learning_rate(), 1e37f);
}

}  // namespace
}  // namespace siren
