#include "app/views/field_math.h"

#include <algorithm>
#include <cmath>

namespace siren::studio {

std::vector<float> grid_over(const ViewRect& rect, int rows, int cols) {
  std::vector<float> coords(size_t(rows) * cols * 2);
  const double dr = rect.height() / rows, dc = rect.width() / cols;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      float* p = &coords[(size_t(r) * cols + size_t(c)) * 2];
      p[0] = float(rect.row0 + (r + 0.5) * dr);
      p[1] = float(rect.col0 + (c + 0.5) * dc);
    }
  return coords;
}

float robust_abs_max(const std::vector<float>& v, float fallback) {
  std::vector<float> a;
  a.reserve(v.size());
  for (float x : v)
    if (std::isfinite(x)) a.push_back(std::fabs(x));
  if (a.empty()) return fallback;
  const size_t k = std::min(a.size() - 1, size_t(std::floor(0.99 * double(a.size() - 1))));
  std::nth_element(a.begin(), a.begin() + long(k), a.end());
  float m = a[k];
  if (!(m > 0)) m = *std::max_element(a.begin(), a.end());
  return m > 0 ? m : fallback;
}

namespace {

void finish(FieldImages& f) {
  if (!f.gradient.empty()) {
    const size_t n = size_t(f.rows) * f.cols;
    f.magnitude.resize(n);
    for (size_t i = 0; i < n; ++i) f.magnitude[i] = std::hypot(f.gradient[i * 2], f.gradient[i * 2 + 1]);
    f.ranges.gradient = robust_abs_max(f.gradient);
    f.ranges.magnitude = robust_abs_max(f.magnitude);
    f.ranges.laplacian = robust_abs_max(f.laplacian);
  }
  if (!f.error.empty()) f.ranges.error = robust_abs_max(f.error, 1e-3f);
}

}  // namespace

FieldImages fields_from_jets(const FieldJets& jets, int rows, int cols, int channels, const ViewRect& rect,
                             const io::Image* truth) {
  FieldImages f;
  f.rect = rect;
  f.rows = rows;
  f.cols = cols;
  f.channels = channels;
  const size_t n = size_t(rows) * cols, c = size_t(channels);
  f.value = jets.value;
  const bool has_grad = jets.gradient.size() == n * c * 2, has_lap = jets.laplacian.size() == n * c;
  if (has_grad) {
    f.gradient.assign(n * 2, 0.0f);
    f.laplacian.assign(n, 0.0f);
    for (size_t i = 0; i < n; ++i) {
      double g0 = 0, g1 = 0, l = 0;
      for (size_t ch = 0; ch < c; ++ch) {
        g0 += jets.gradient[(i * c + ch) * 2];
        g1 += jets.gradient[(i * c + ch) * 2 + 1];
        if (has_lap) l += jets.laplacian[i * c + ch];
      }
      f.gradient[i * 2] = float(g0 / double(c));
      f.gradient[i * 2 + 1] = float(g1 / double(c));
      f.laplacian[i] = float(l / double(c));
    }
  }
  if (truth && truth->height == rows && truth->width == cols && size_t(truth->channels) == c) {
    f.error.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double e = 0;
      for (size_t ch = 0; ch < c; ++ch) {
        const float fit = std::clamp(jets.value[i * c + ch] * 0.5f + 0.5f, 0.0f, 1.0f);
        e += std::fabs(double(fit) - truth->pixels[i * c + ch]);
      }
      f.error[i] = std::isfinite(jets.value[i * c]) ? float(e / double(c)) : NAN;
    }
  }
  finish(f);
  return f;
}

FieldImages fields_from_image(const io::Image& image, const ImageDerivatives& d) {
  FieldJets jets;
  jets.value.resize(image.pixels.size());
  std::transform(image.pixels.begin(), image.pixels.end(), jets.value.begin(), [](float v) { return v * 2 - 1; });
  jets.gradient = d.gradient;
  jets.laplacian = d.laplacian;
  return fields_from_jets(jets, image.height, image.width, image.channels, image_rect(image.height, image.width),
                          nullptr);
}

}  // namespace siren::studio
