#include "core/tasks/image_derivatives.h"

namespace siren {

namespace {
// scipy.ndimage's default 'reflect' boundary (d c b a | a b c d | d c b a), which the reference's
// Sobel and Laplace filters use.
int reflect(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}
}  // namespace

ImageDerivatives image_derivatives(const io::Image& image, float value_scale) {
  const int h = image.height, w = image.width, c = image.channels;
  ImageDerivatives d;
  d.width = w;
  d.height = h;
  d.channels = c;
  d.gradient.resize(size_t(h) * w * c * 2);
  d.laplacian.resize(size_t(h) * w * c);
  const double hr = h > 1 ? 2.0 / (h - 1) : 1.0, hc = w > 1 ? 2.0 / (w - 1) : 1.0;
  auto px = [&](int r, int col, int ch) {
    return double(image.pixels[(size_t(reflect(r, h)) * w + size_t(reflect(col, w))) * c + size_t(ch)]);
  };
  for (int r = 0; r < h; ++r)
    for (int col = 0; col < w; ++col)
      for (int ch = 0; ch < c; ++ch) {
        // Sobel: a central difference smoothed by [1 2 1] across; /8 makes it a per-pixel slope.
        double drow = 0, dcol = 0;
        for (int k = -1; k <= 1; ++k) {
          const double wgt = k == 0 ? 2.0 : 1.0;
          drow += wgt * (px(r + 1, col + k, ch) - px(r - 1, col + k, ch));
          dcol += wgt * (px(r + k, col + 1, ch) - px(r + k, col - 1, ch));
        }
        const size_t i = (size_t(r) * w + size_t(col)) * c + size_t(ch);
        d.gradient[i * 2 + 0] = float(value_scale * drow / 8.0 / hr);
        d.gradient[i * 2 + 1] = float(value_scale * dcol / 8.0 / hc);
        const double centre = px(r, col, ch);
        const double lap = (px(r - 1, col, ch) - 2 * centre + px(r + 1, col, ch)) / (hr * hr) +
                           (px(r, col - 1, ch) - 2 * centre + px(r, col + 1, ch)) / (hc * hc);
        d.laplacian[i] = float(value_scale * lap);
      }
  return d;
}

}  // namespace siren
