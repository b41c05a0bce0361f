// The Session API without any GL: commands, status, history, snapshots, the divergence guard and
// evaluation from another thread while training runs.
#include <gtest/gtest.h>

#include <memory>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/network/parameters.h"
#include "core/session/session.h"
#include "core/tasks/image_task.h"
#include "core/util/error.h"

namespace siren {
namespace {

std::shared_ptr<const Task> small_image_task() {
  io::Image img;
  img.width = img.height = 16;
  img.channels = 1;
  for (int i = 0; i < 256; ++i) img.pixels.push_back(0.5f + 0.4f * std::sin(0.3f * float(i)));
  return std::make_shared<ImageTask>(std::move(img));
}

SessionSettings small_settings() {
  SessionSettings s;
  s.network.hidden_features = 16;
  s.network.hidden_layers = 1;
  s.adam.lr = 1e-3f;
  s.backend = BackendKind::Cpu;
  s.seed = 3;
  return s;
}

template <typename Pred>
bool wait_for(Pred pred, double seconds = 20) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

TEST(Session, StartsPausedWithInitialWeights) {
  Session s(small_image_task(), small_settings());
  const SessionStatus st = s.status();
  EXPECT_EQ(st.state, SessionState::Paused);
  EXPECT_EQ(st.step, 0u);
  EXPECT_EQ(st.backend, "cpu");
  const WeightsSnapshot snap = s.snapshot();
  NetworkConfig cfg = small_settings().network;
  cfg.out_dim = 1;
  EXPECT_EQ(*snap.params, init_parameters(cfg, 3));
}

TEST(Session, SingleStepsAreCountedAndSnapshotted) {
  Session s(small_image_task(), small_settings());
  s.step(7);
  s.wait_idle();
  EXPECT_EQ(s.status().step, 7u);
  EXPECT_EQ(s.status().state, SessionState::Paused);
  const auto h = s.history();
  ASSERT_EQ(h.size(), 7u);
  EXPECT_EQ(h.back().step, 7u);
  EXPECT_LT(h.back().loss, h.front().loss);
  EXPECT_TRUE(std::isfinite(h.back().psnr_db));
  EXPECT_EQ(s.snapshot().step, 7u);
  EXPECT_EQ(s.history(5).size(), 2u);
}

TEST(Session, StartAndPause) {
  Session s(small_image_task(), small_settings());
  s.start();
  ASSERT_TRUE(wait_for([&] { return s.status().step >= 20 && s.status().steps_per_second > 0; }));
  s.pause();
  s.wait_idle();
  const uint64_t at_pause = s.status().step;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(s.status().step, at_pause);
  EXPECT_EQ(s.snapshot().step, at_pause);  // pausing publishes the final weights
}

TEST(Session, ResetStartsANewRunAndNewSettingsTakeEffect) {
  Session s(small_image_task(), small_settings());
  s.step(5);
  s.wait_idle();
  const uint64_t gen = s.status().generation;
  s.reset();
  s.wait_idle();
  EXPECT_EQ(s.status().step, 0u);
  EXPECT_EQ(s.status().generation, gen + 1);
  EXPECT_TRUE(s.history().empty());
  SessionSettings wide = small_settings();
  wide.network.hidden_features = 24;
  wide.network.activation = Activation::Tanh;
  s.reset(wide);
  s.wait_idle();
  EXPECT_EQ(s.snapshot().config.hidden_features, 24);
  EXPECT_EQ(s.snapshot().config.activation, Activation::Tanh);
  EXPECT_EQ(s.settings().network.hidden_features, 24);

  // A new precision is a new run too (on a GPU a new backend; the CPU computes in FP32 anyway).
  SessionSettings fp16 = wide;
  fp16.precision = Precision::Fp16;
  s.reset(fp16);
  s.wait_idle();  // a reset drops the steps asked for before it ran
  s.step(3);
  s.wait_idle();
  EXPECT_EQ(s.settings().precision, Precision::Fp16);
  EXPECT_EQ(s.status().step, 3u);
  EXPECT_EQ(s.status().backend, "cpu");
  EXPECT_TRUE(std::isfinite(s.status().loss));
}

// Views tell runs apart by id: a session built where a freed one lived must still look new to them.
TEST(Session, IdsAreNeverReused) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto s = std::make_unique<Session>(small_image_task(), small_settings());
    ids.push_back(s->id());
  }  // each freed before the next is made, so the allocator may well hand out the same address
  EXPECT_NE(ids[0], 0u);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  EXPECT_NE(ids[0], ids[2]);
}

TEST(Session, InvalidSettingsKeepTheOldRunAndSaySo) {
  Session s(small_image_task(), small_settings());
  SessionSettings bad = small_settings();
  bad.network.hidden_features = 0;
  s.reset(bad);
  s.wait_idle();
  const auto notices = s.take_notices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].text.find("--hidden"), std::string::npos) << notices[0].text;
  EXPECT_EQ(notices[0].level, SessionNoticeLevel::Error);
  EXPECT_EQ(s.snapshot().config.hidden_features, 16);
  s.step(2);
  s.wait_idle();
  EXPECT_EQ(s.status().step, 2u);
}

TEST(Session, LoadContinuesFromGivenWeights) {
  Session s(small_image_task(), small_settings());
  NetworkConfig cfg = small_settings().network;
  cfg.out_dim = 1;
  cfg.hidden_features = 8;
  const std::vector<float> w = init_parameters(cfg, 99);
  s.load(cfg, w);
  s.wait_idle();
  EXPECT_EQ(*s.snapshot().params, w);
  NetworkConfig wrong = cfg;
  wrong.out_dim = 3;
  EXPECT_THROW(s.load(wrong, init_parameters(wrong, 1)), Error);
}

TEST(Session, DivergenceIsReportedAndNeverCrashes) {
  SessionSettings hot = small_settings();
  hot.adam.lr = 1e37f;
  Session s(small_image_task(), hot);
  s.step(60);
  s.wait_idle();
  const auto notices = s.take_notices();
  ASSERT_FALSE(notices.empty());
  // A restore is a warning (training goes on); only the run stopping is an error, and it comes last.
  for (size_t i = 0; i + 1 < notices.size(); ++i) EXPECT_EQ(notices[i].level, SessionNoticeLevel::Warning) << notices[i].text;
  const bool failed = s.status().state == SessionState::Failed;
  EXPECT_EQ(notices.back().level, failed ? SessionNoticeLevel::Error : SessionNoticeLevel::Warning) << notices.back().text;
  for (float p : *s.snapshot().params) ASSERT_TRUE(std::isfinite(p));
  if (s.status().state != SessionState::Failed) {
    EXPECT_LT(s.status().learning_rate, 1e37f);
    // Restores put weights back, not the step count: it never runs backwards.
    EXPECT_EQ(s.status().step, 60u);
  }
  const std::vector<MetricSample> h = s.history();
  for (size_t i = 1; i < h.size(); ++i) ASSERT_GT(h[i].step, h[i - 1].step) << i;
}

TEST(Session, EvaluatesSnapshotsWhileTraining) {
  Session s(small_image_task(), small_settings());
  s.start();
  const std::vector<float> grid = pixel_grid(9, 9);
  for (int i = 0; i < 20; ++i) {
    const WeightsSnapshot snap = s.snapshot();
    const FieldJets j = s.evaluate(snap, grid.data(), 81, JetMode::Laplacian);
    ASSERT_EQ(j.laplacian.size(), 81u);
    for (float v : j.value) ASSERT_TRUE(std::isfinite(v));
  }
  s.pause();
}

TEST(Session, DestroysCleanlyWhileRunning) {
  for (int i = 0; i < 3; ++i) {
    Session s(small_image_task(), small_settings());
    s.start();
  }
  SUCCEED();
}

}  // namespace
}  // namespace siren
