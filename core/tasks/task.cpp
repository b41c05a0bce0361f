#include "core/tasks/task.h"

#include <algorithm>
#include <cmath>

namespace siren {

std::vector<float> pixel_grid(int height, int width) {
  auto coord = [](int i, int n) { return n > 1 ? (float(i) / float(n - 1) - 0.5f) * 2.0f : 0.0f; };
  std::vector<float> g(size_t(height) * width * 2);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      g[(size_t(r) * width + c) * 2 + 0] = coord(r, height);
      g[(size_t(r) * width + c) * 2 + 1] = coord(c, width);
    }
  return g;
}

double psnr_db(const float* pred, const float* truth01, size_t n) {
  double se = 0;
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(double(pred[i]) * 0.5 + 0.5, 0.0, 1.0);
    const double e = p - truth01[i];
    se += e * e;
  }
  const double mse = se / double(std::max<size_t>(n, 1));
  return mse > 0 ? 10.0 * std::log10(1.0 / mse) : 100.0;
}

}  // namespace siren
