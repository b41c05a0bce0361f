#include <gtest/gtest.h>

#include "core/tasks/image_derivatives.h"

namespace siren {
namespace {

io::Image field(int h, int w, double (*f)(double r, double c)) {
  io::Image img;
  img.height = h;
  img.width = w;
  img.channels = 1;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double y = (double(r) / (h - 1) - 0.5) * 2, x = (double(c) / (w - 1) - 0.5) * 2;
      img.pixels.push_back(float(f(y, x)));
    }
  return img;
}

TEST(ImageDerivatives, RampGradientIsExactInCoordinateUnits) {
  // v = 0.2 row - 0.1 col in coordinates; the network sees 2v (value_scale 2).
  const io::Image img = field(17, 33, [](double r, double c) { return 0.5 + 0.2 * r - 0.1 * c; });
  const ImageDerivatives d = image_derivatives(img);
  for (int r = 1; r < 16; ++r)
    for (int c = 1; c < 32; ++c) {
      const size_t i = size_t(r) * 33 + size_t(c);
      EXPECT_NEAR(d.gradient[i * 2 + 0], 0.4, 1e-4);
      EXPECT_NEAR(d.gradient[i * 2 + 1], -0.2, 1e-4);
      EXPECT_NEAR(d.laplacian[i], 0.0, 1e-2);
    }
}

TEST(ImageDerivatives, QuadraticLaplacianIsConstant) {
  // v = 0.1 (r^2 + c^2): Laplacian 0.4, times value_scale 2.
  const io::Image img = field(41, 41, [](double r, double c) { return 0.1 * (r * r + c * c); });
  const ImageDerivatives d = image_derivatives(img);
  for (int r = 1; r < 40; ++r)
    for (int c = 1; c < 40; ++c) EXPECT_NEAR(d.laplacian[size_t(r) * 41 + size_t(c)], 0.8, 1e-3);
  // Reflect padding: at the border the mirrored pixel flattens the slope, as scipy's sobel does.
  EXPECT_NEAR(d.gradient[0], 0.0, 0.2);
}

}  // namespace
}  // namespace siren
