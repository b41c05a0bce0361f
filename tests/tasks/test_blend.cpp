// Gradient mixing: the composite target field for every rule, its limits (alpha 1 and 0, masks all
// inside or outside), a fit that lands on the blend, and the errors a user can cause.
#include <gtest/gtest.h>

#include <cmath>

#include "core/backend/cpu/cpu_backend.h"
#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/tasks/blend_task.h"
#include "core/util/error.h"
#include "tests/tasks/small_network.h"

namespace siren {
namespace {

io::Image pattern(int n, double fx, double fy, int channels = 1) {
  io::Image img;
  img.width = img.height = n;
  img.channels = channels;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      for (int ch = 0; ch < channels; ++ch)
        img.pixels.push_back(float(0.5 + 0.3 * std::sin(fx * c / n + ch) * std::cos(fy * r / n)));
  return img;
}

void expect_same(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << i;
}

TEST(BlendTargets, AlphaOneIsAAndAlphaZeroIsB) {
  const io::Image a = pattern(16, 5, 3), b = pattern(16, 2, 7);
  const std::vector<float> ga = image_derivatives(a).gradient, gb = image_derivatives(b).gradient;
  BlendSettings s;
  s.alpha = 1.0f;
  expect_same(BlendTask(a, b, s).target_gradient(), ga);
  s.alpha = 0.0f;
  expect_same(BlendTask(a, b, s).target_gradient(), gb);
  s.alpha = 0.25f;
  const std::vector<float> mix = BlendTask(a, b, s).target_gradient();
  for (size_t i = 0; i < mix.size(); ++i) ASSERT_NEAR(mix[i], 0.25f * ga[i] + 0.75f * gb[i], 1e-5);
}

TEST(BlendTargets, MasksAllInsideOrOutsideGiveBOrA) {
  const io::Image a = pattern(16, 5, 3, 3), b = pattern(16, 2, 7, 3);
  BlendSettings s;
  s.rule = BlendRule::Clone;
  s.mask.assign(256, 1.0f);
  expect_same(BlendTask(a, b, s).target_gradient(), image_derivatives(b).gradient);
  s.mask.assign(256, 0.0f);
  expect_same(BlendTask(a, b, s).target_gradient(), image_derivatives(a).gradient);
}

TEST(BlendTargets, MixedTakesTheStrongerGradientAndPlacementRescalesB) {
  const io::Image a = pattern(16, 5, 3), flat = pattern(16, 0, 0);
  BlendSettings s;
  s.rule = BlendRule::Mixed;
  // A varies, the flat B does not: A's gradient is the stronger everywhere.
  expect_same(BlendTask(a, flat, s).target_gradient(), image_derivatives(a).gradient);
  // B of 9x9 pixels inside a 17x17 A: one pixel of B is one of A, so B's coordinate slopes double.
  io::Image big = pattern(17, 0, 0), ramp;
  ramp.width = ramp.height = 9;
  ramp.channels = 1;
  for (int r = 0; r < 9; ++r)
    for (int c = 0; c < 9; ++c) ramp.pixels.push_back(0.05f * float(c));
  BlendSettings place;
  place.alpha = 0.0f;
  place.row = 4;
  place.col = 4;
  const std::vector<float> t = BlendTask(big, ramp, place).target_gradient();
  const float b_slope = image_derivatives(ramp).gradient[size_t(4 * 9 + 4) * 2 + 1];
  EXPECT_NEAR(t[size_t(8 * 17 + 8) * 2 + 1], 2.0f * b_slope, 1e-5);
}

TEST(BlendFit, AlphaOneReproducesAUpToItsOffset) {
  // 32 pixels, not fewer: on a coarser grid a w0 = 30 SIREN supervised only by gradients at the pixel
  // centres is free to oscillate between them (measured: 21 dB at 24x24, 51 dB at 32x32).
  const io::Image a = pattern(32, 6, 4), b = pattern(32, 3, 9);
  BlendSettings s;
  s.alpha = 1.0f;
  const BlendTask task(a, b, s);
  const NetworkConfig cfg = task_tests::small_image_network();
  cpu::CpuBackend backend;
  AdamConfig adam;
  adam.lr = 1e-3f;
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 1), adam, task.training_data(), 0, 1);
  run_fit(*trainer, 300, nullptr);
  const io::Image out = task.composite(backend, cfg, trainer->parameters());
  const std::vector<float> pred(out.pixels.begin(), out.pixels.end());
  std::vector<float> signed_pred(pred.size());
  for (size_t i = 0; i < pred.size(); ++i) signed_pred[i] = pred[i] * 2 - 1;
  EXPECT_GE(psnr_db(signed_pred.data(), a.pixels.data(), a.pixels.size()), 30.0);
}

TEST(BlendErrors, ClearMessagesForBadInput) {
  const io::Image a = pattern(16, 5, 3), b = pattern(16, 2, 7), big = pattern(20, 1, 1);
  BlendSettings s;
  s.alpha = 1.5f;
  EXPECT_THROW(BlendTask(a, b, s), Error);
  s.alpha = -0.1f;
  EXPECT_THROW(BlendTask(a, b, s), Error);
  s.alpha = 0.5f;
  try {
    BlendTask(a, big, s);
    FAIL() << "a larger B was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
  }
  s.row = 10;  // B placed partly outside A
  EXPECT_THROW(BlendTask(a, pattern(8, 1, 1), s), Error);
  s.row = 0;
  s.mask.assign(7, 1.0f);
  EXPECT_THROW(BlendTask(a, b, s), Error);
}

}  // namespace
}  // namespace siren
