// The Poisson experiment: filters against hand-computed values, and reconstruction of a small image
// from its gradient or its Laplacian alone.
#include <gtest/gtest.h>

#include <cmath>

#include "core/backend/cpu/cpu_backend.h"
#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/tasks/image_derivatives.h"
#include "core/tasks/poisson_task.h"
#include "tests/tasks/small_network.h"

namespace siren {
namespace {

// v = 10 r + c^2 on a 3x3 grid, where the pixel spacing in coordinates is exactly 1.
io::Image tiny() {
  io::Image img;
  img.width = img.height = 3;
  img.channels = 1;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) img.pixels.push_back(float(10 * r + c * c));
  return img;
}

TEST(PoissonFilters, MatchHandComputedValuesWithReflectPadding) {
  const ImageDerivatives d = image_derivatives(tiny(), 1.0f);
  auto grad = [&](int r, int c, int k) { return d.gradient[size_t(r * 3 + c) * 2 + size_t(k)]; };
  auto lap = [&](int r, int c) { return d.laplacian[size_t(r * 3 + c)]; };
  // Centre: Sobel rows (1+2+1) * (v[2][c] - v[0][c]) = 4 * 20 -> 80 / 8 = 10; cols 4 * 4 / 8 = 2;
  // 5-point: (1 - 22 + 21) + (10 - 22 + 14) = 2.
  EXPECT_FLOAT_EQ(grad(1, 1, 0), 10.0f);
  EXPECT_FLOAT_EQ(grad(1, 1, 1), 2.0f);
  EXPECT_FLOAT_EQ(lap(1, 1), 2.0f);
  // Corner (0,0), reflect repeats the edge pixel: rows (10 + 2*10 + 10) / 8 = 5; cols (1 + 2*1 + 1) / 8
  // = 0.5; Laplacian (0 - 0 + 10) + (0 - 0 + 1) = 11.
  EXPECT_FLOAT_EQ(grad(0, 0, 0), 5.0f);
  EXPECT_FLOAT_EQ(grad(0, 0, 1), 0.5f);
  EXPECT_FLOAT_EQ(lap(0, 0), 11.0f);
  // Corner (2,2): rows 4 * 10 / 8 = 5; cols (3 + 2*3 + 3) / 8 = 1.5; Laplacian (14 - 48 + 24) + (21 - 48 + 24).
  EXPECT_FLOAT_EQ(grad(2, 2, 0), 5.0f);
  EXPECT_FLOAT_EQ(grad(2, 2, 1), 1.5f);
  EXPECT_FLOAT_EQ(lap(2, 2), -13.0f);
  // Coordinate units: 5 pixels per side halve the spacing to 0.5, doubling the slope.
  io::Image ramp;
  ramp.width = ramp.height = 5;
  ramp.channels = 1;
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 5; ++c) ramp.pixels.push_back(float(c));
  EXPECT_FLOAT_EQ(image_derivatives(ramp, 1.0f).gradient[size_t(2 * 5 + 2) * 2 + 1], 2.0f);
}

io::Image smooth_image(int n) {
  io::Image img;
  img.width = img.height = n;
  img.channels = 1;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const double y = 2.0 * r / (n - 1) - 1, x = 2.0 * c / (n - 1) - 1;
      img.pixels.push_back(float(0.5 + 0.25 * std::sin(3 * x + 1) * std::cos(2 * y) + 0.1 * x * y));
    }
  return img;
}

struct FitResult {
  Metrics metrics;
  double first_loss, last_loss;
};

FitResult fit(const PoissonTask& task, Activation act, int steps, float lr) {
  const NetworkConfig cfg = task_tests::small_image_network(act);
  cpu::CpuBackend backend;
  AdamConfig adam;
  adam.lr = lr;
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 2), adam, task.training_data(), 0, 2);
  std::vector<float> g;
  FitResult r;
  r.first_loss = trainer->loss_and_gradient(g);
  run_fit(*trainer, uint64_t(steps), nullptr);
  r.last_loss = trainer->loss_and_gradient(g);
  r.metrics = task.evaluate(backend, cfg, trainer->parameters());
  return r;
}

TEST(PoissonFit, GradientSupervisionReconstructsTheImage) {
  const PoissonTask task(smooth_image(32), Supervision::Gradient);
  const FitResult r = fit(task, Activation::Sine, 300, 1e-3f);
  std::printf("gradient supervision: image %.2f dB, gradient %.2f dB\n", *r.metrics.psnr_db,
              r.metrics.extra.at("gradient_psnr_db"));
  EXPECT_GE(*r.metrics.psnr_db, 30.0);
}

TEST(PoissonFit, LaplacianSupervisionConvergesAndBeatsRelu) {
  const PoissonTask task(smooth_image(32), Supervision::Laplacian);
  const FitResult siren = fit(task, Activation::Sine, 300, 1e-4f);
  const FitResult relu = fit(task, Activation::Relu, 300, 1e-4f);
  const double siren_lap = siren.metrics.extra.at("laplacian_psnr_db");
  const double relu_lap = relu.metrics.extra.at("laplacian_psnr_db");
  std::printf("Laplacian supervision: loss %.3g -> %.3g; Laplacian SIREN %.2f dB, ReLU %.2f dB; image %.2f / %.2f dB\n",
              siren.first_loss, siren.last_loss, siren_lap, relu_lap, *siren.metrics.psnr_db, *relu.metrics.psnr_db);
  EXPECT_LT(siren.last_loss, siren.first_loss / 100.0);
  // A ReLU network's Laplacian is zero almost everywhere: it cannot follow the supervision at all.
  // (The image itself is only determined up to a harmonic function, so its PSNR is not the measure.)
  EXPECT_GT(siren_lap, relu_lap + 20.0);
}

}  // namespace
}  // namespace siren
