// The paper's first claim, at test size: a small SIREN fits a 64x64 image past 30 dB within a few
// hundred steps, and a ReLU network of the same size at the same step count stays far below.
#include <gtest/gtest.h>

#include <cmath>

#include "core/backend/cpu/cpu_backend.h"
#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/tasks/image_task.h"
#include "tests/tasks/small_network.h"

namespace siren {
namespace {

// A synthetic test card: a smooth ramp, a hard-edged disc and fine stripes, like a photo's mix of
// shading, edges and texture, made here so the test needs no image decoder.
io::Image test_card(int n) {
  io::Image img;
  img.width = img.height = n;
  img.channels = 1;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const double y = double(r) / (n - 1), x = double(c) / (n - 1);
      double v = 0.25 + 0.3 * x * y;
      if ((x - 0.6) * (x - 0.6) + (y - 0.4) * (y - 0.4) < 0.06) v += 0.35;
      if (y > 0.7) v += 0.15 * std::sin(40.0 * x);
      img.pixels.push_back(float(v));
    }
  return img;
}

double fit_psnr(Activation act, int steps) {
  ImageTask task(test_card(64));
  const NetworkConfig cfg = task_tests::small_image_network(act);
  cpu::CpuBackend backend;
  AdamConfig adam;
  adam.lr = 1e-3f;  // a small network takes a larger step than the reference's 1e-4 for 256 wide
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 1), adam, task.training_data(), 0, 1);
  run_fit(*trainer, uint64_t(steps), nullptr);
  const Metrics m = task.evaluate(backend, cfg, trainer->parameters());
  return *m.psnr_db;
}

TEST(ImageFit, SirenPasses30dBAndReluStaysFarBelow) {
  const int steps = 300;
  const double siren = fit_psnr(Activation::Sine, steps);
  const double relu = fit_psnr(Activation::Relu, steps);
  std::printf("64x64 test card after %d steps: SIREN %.2f dB, ReLU %.2f dB\n", steps, siren, relu);
  EXPECT_GE(siren, 30.0);
  EXPECT_LT(relu, siren - 8.0);
}

TEST(ImageFit, PsnrFromLossMatchesEvaluationOnFullBatches) {
  ImageTask task(test_card(32));
  // An untrained output of 0 everywhere: MSE in [-1,1] units equals mean (2v-1)^2.
  double loss = 0;
  for (float v : task.image().pixels) loss += (2.0 * v - 1.0) * (2.0 * v - 1.0);
  loss /= double(task.image().pixels.size());
  std::vector<float> zeros(task.image().pixels.size(), 0.0f);
  EXPECT_NEAR(*task.psnr_from_loss(loss), psnr_db(zeros.data(), task.image().pixels.data(), zeros.size()), 1e-9);
}

// A diverged network's NaN outputs read as NaN, not as the 100 dB of an exact match (clamping and
// the error's comparisons would otherwise let NaN through as a perfect score).
TEST(ImageFit, PsnrOfNanPredictionsIsNanAndOfAnExactMatchIs100) {
  const std::vector<float> truth01 = {0.0f, 0.25f, 1.0f}, signed_truth = {-1.0f, -0.5f, 1.0f};
  EXPECT_DOUBLE_EQ(psnr_db(signed_truth.data(), truth01.data(), 3), 100.0);
  EXPECT_DOUBLE_EQ(field_psnr_db(signed_truth.data(), signed_truth.data(), 3), 100.0);
  const std::vector<float> nan_pred = {-1.0f, std::nanf(""), 1.0f};
  EXPECT_TRUE(std::isnan(psnr_db(nan_pred.data(), truth01.data(), 3)));
  EXPECT_TRUE(std::isnan(field_psnr_db(nan_pred.data(), signed_truth.data(), 3)));
}

TEST(ImageFit, CoordinatesSpanMinusOneToOneWithRowFirst) {
  const std::vector<float> g = pixel_grid(3, 5);
  EXPECT_FLOAT_EQ(g[0], -1.0f);
  EXPECT_FLOAT_EQ(g[1], -1.0f);
  EXPECT_FLOAT_EQ(g[2 * 4 + 0], -1.0f);  // pixel (0, 4): row -1, col +1
  EXPECT_FLOAT_EQ(g[2 * 4 + 1], 1.0f);
  EXPECT_FLOAT_EQ(g[2 * 14 + 0], 1.0f);  // last pixel (2, 4)
  EXPECT_FLOAT_EQ(g[2 * 7 + 0], 0.0f);   // pixel (1, 2) is the centre
  EXPECT_FLOAT_EQ(g[2 * 7 + 1], 0.0f);
}

}  // namespace
}  // namespace siren
