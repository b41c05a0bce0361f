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

// The parts of a Trainer the guard does not exercise, for the scripted trainers below: one weight, a
// learning rate, nothing else.
class FakeTrainer : public Trainer {
 public:
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

 protected:
  std::vector<float> params_ = {0.0f};
  float lr_ = 1.0f;
  NetworkConfig cfg_;
};

// A trainer whose weights are a step counter and whose loss turns NaN on the steps it is told.
class ScriptedTrainer final : public FakeTrainer {
 public:
  explicit ScriptedTrainer(std::vector<uint64_t> nan_steps) : nan_steps_(std::move(nan_steps)) {}
  StepStats step() override {
    ++steps_;
    params_[0] += 1.0f;
    const bool nan = std::find(nan_steps_.begin(), nan_steps_.end(), steps_) != nan_steps_.end();
    if (nan) params_[0] = std::numeric_limits<float>::quiet_NaN();
    return {steps_, nan ? std::numeric_limits<double>::quiet_NaN() : 1.0};
  }

 private:
  std::vector<uint64_t> nan_steps_;
  uint64_t steps_ = 0;
};

TEST(DivergenceGuard, RestoresTheLastConfirmedWeightsAndHalvesTheLearningRate) {
  ScriptedTrainer t({30});
  DivergenceGuard guard(5, 8, 2);
  guard.start(t);
  for (int i = 0; i < 29; ++i) EXPECT_FALSE(guard.after_step(t, t.step()));
  // Candidates every 5 steps, each confirmed by a finite loss 2 steps later: 25 is the last good one.
  EXPECT_TRUE(guard.after_step(t, t.step()));
  EXPECT_EQ(t.parameters()[0], 25.0f);
  EXPECT_EQ(t.learning_rate(), 0.5f);
  EXPECT_EQ(guard.restores(), 1);
  EXPECT_NE(guard.message().find("step 30"), std::string::npos) << guard.message();
  EXPECT_NE(guard.message().find("step 25"), std::string::npos) << guard.message();
}

// Weights that are finite but whose loss overflows: the step that makes them reports a finite loss
// (it was computed before the update), the next one NaN. They must never be what is put back.
class PoisoningTrainer final : public FakeTrainer {
 public:
  PoisoningTrainer(uint64_t poison_at, int lag) : poison_at_(poison_at), lag_(lag) {}
  StepStats step() override {
    ++steps_;
    losses_.push_back(params_[0] >= kPoison ? std::numeric_limits<double>::quiet_NaN() : 1.0);
    params_[0] = steps_ == poison_at_ ? kPoison : params_[0] >= kPoison ? kPoison : params_[0] + 1.0f;
    // Losses arrive `lag` steps late; until then the latest report repeats.
    const uint64_t reported = steps_ > uint64_t(lag_) ? steps_ - uint64_t(lag_) : 1;
    return {reported, losses_[reported - 1]};
  }
  static constexpr float kPoison = 1e30f;

 private:
  uint64_t poison_at_;
  int lag_;
  uint64_t steps_ = 0;
  std::vector<double> losses_;
};

TEST(DivergenceGuard, NeverPutsBackWeightsWhoseLossWasNotSeen) {
  for (int lag : {0, 3}) {
    // Step 25 makes poisoned weights; a snapshot is due exactly then.
    PoisoningTrainer t(25, lag);
    DivergenceGuard guard(5, 8, 2 + uint64_t(lag));
    guard.start(t);
    int restores = 0;
    for (int i = 0; i < 80; ++i) {
      if (guard.after_step(t, t.step())) {
        ++restores;
        EXPECT_LT(t.parameters()[0], PoisoningTrainer::kPoison) << "lag " << lag;
      }
    }
    // One restore: the reports still in flight from before it do not count as a second divergence.
    EXPECT_EQ(restores, 1) << "lag " << lag;
    EXPECT_LT(t.parameters()[0], PoisoningTrainer::kPoison) << "lag " << lag;
    EXPECT_EQ(t.learning_rate(), 0.5f) << "lag " << lag;
  }
}

// A trainer that replays scripted reports, one per step, while its one weight counts the steps.
class ReplayTrainer final : public FakeTrainer {
 public:
  explicit ReplayTrainer(std::vector<StepStats> reports) : reports_(std::move(reports)) {}
  StepStats step() override {
    params_[0] += 1.0f;
    return reports_[std::min(next_++, reports_.size() - 1)];
  }

 private:
  std::vector<StepStats> reports_;
  size_t next_ = 0;
};

// Losses three steps late: reports that arrive after a restore but belong to steps queued before it
// say nothing about the weights put back, so they must not confirm a copy of them: when the next
// divergence comes, the guard goes back to the same weights as the first time.
TEST(DivergenceGuard, LateReportsFromBeforeARestoreConfirmNothing) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<StepStats> r;
  for (int c = 1; c <= 3; ++c) r.push_back({1, 1.0});           // the first loss, until newer ones come
  for (uint64_t s = 2; s <= 20; ++s) r.push_back({s, 1.0});     // calls 4..22
  r.push_back({21, nan});                                       // call 23: restore
  for (uint64_t s = 22; s <= 23; ++s) r.push_back({s, 1.0});    // calls 24, 25: queued before it
  r.push_back({24, nan});                                       // call 26: the first report after it
  ReplayTrainer t(r);
  DivergenceGuard guard(1, 8, 1);  // a copy at every report, confirmed by the next one
  guard.start(t);
  for (int c = 1; c <= 22; ++c) ASSERT_FALSE(guard.after_step(t, t.step())) << c;
  ASSERT_TRUE(guard.after_step(t, t.step()));
  const float first = t.parameters()[0];
  for (int c = 24; c <= 25; ++c) EXPECT_FALSE(guard.after_step(t, t.step())) << c;
  ASSERT_TRUE(guard.after_step(t, t.step()));
  EXPECT_EQ(t.parameters()[0], first) << "a copy confirmed by reports from before the first restore";
}

TEST(DivergenceGuard, FirstLossNotFiniteIsAnErrorNamingTheLearningRate) {
  PoisoningTrainer t(0, 0);
  t.set_parameters({PoisoningTrainer::kPoison});
  DivergenceGuard guard;
  guard.start(t);
  try {
    guard.after_step(t, t.step());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at once"), std::string::npos) << e.what();
  }
}

TEST(DivergenceGuard, GivesUpWithAClearErrorWhenDivergenceRepeats) {
  std::vector<uint64_t> all;
  for (uint64_t s = 2; s < 100; ++s) all.push_back(s);
  ScriptedTrainer t(all);
  DivergenceGuard guard(1, 3, 1);
  guard.start(t);
  try {
    for (int i = 0; i < 50; ++i) guard.after_step(t, t.step());
    FAIL() << "the guard never gave up";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--lr"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.parameters()[0], 0.0f);  // the only good weights it ever saw: the first
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
