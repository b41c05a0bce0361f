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
  if (std::isnan(mse)) return mse;  // a diverged network (NaN outputs) must not read as a perfect fit
  return mse > 0 ? 10.0 * std::log10(1.0 / mse) : 100.0;
}

double field_psnr_db(const float* pred, const float* truth, size_t n) {
  if (n == 0) return 0;
  double se = 0;
  float lo = truth[0], hi = truth[0];
  for (size_t i = 0; i < n; ++i) {
    const double e = double(pred[i]) - truth[i];
    se += e * e;
    lo = std::min(lo, truth[i]);
    hi = std::max(hi, truth[i]);
  }
  const double range = double(hi) - lo, mse = se / double(n);
  if (std::isnan(mse)) return mse;
  if (!(mse > 0)) return 100.0;
  return 10.0 * std::log10(std::max(range * range, 1e-30) / mse);
}

std::vector<float> remove_unobservable(const std::vector<float>& values, const std::vector<float>& truth,
                                       const std::vector<float>& coords, int channels, bool linear) {
  const size_t n = values.size() / size_t(channels);
  const int k = linear ? 3 : 1;
  std::vector<float> out = values;
  for (int c = 0; c < channels; ++c) {
    // Normal equations of min || (truth - values) - B x || over the basis B = [1, row, col].
    double ata[3][3] = {}, atb[3] = {};
    for (size_t i = 0; i < n; ++i) {
      const double basis[3] = {1.0, coords[2 * i], coords[2 * i + 1]};
      const double r = double(truth[i * size_t(channels) + size_t(c)]) - values[i * size_t(channels) + size_t(c)];
      for (int a = 0; a < k; ++a) {
        atb[a] += basis[a] * r;
        for (int b = 0; b < k; ++b) ata[a][b] += basis[a] * basis[b];
      }
    }
    // Gaussian elimination with partial pivoting on the k x k system.
    double x[3] = {};
    for (int col = 0; col < k; ++col) {
      int piv = col;
      for (int r = col + 1; r < k; ++r)
        if (std::fabs(ata[r][col]) > std::fabs(ata[piv][col])) piv = r;
      std::swap(ata[col], ata[piv]);
      std::swap(atb[col], atb[piv]);
      if (std::fabs(ata[col][col]) < 1e-12) continue;
      for (int r = col + 1; r < k; ++r) {
        const double f = ata[r][col] / ata[col][col];
        for (int cc = col; cc < k; ++cc) ata[r][cc] -= f * ata[col][cc];
        atb[r] -= f * atb[col];
      }
    }
    for (int r = k - 1; r >= 0; --r) {
      if (std::fabs(ata[r][r]) < 1e-12) continue;
      double s = atb[r];
      for (int cc = r + 1; cc < k; ++cc) s -= ata[r][cc] * x[cc];
      x[r] = s / ata[r][r];
    }
    for (size_t i = 0; i < n; ++i)
      out[i * size_t(channels) + size_t(c)] +=
          float(x[0] + (linear ? x[1] * coords[2 * i] + x[2] * coords[2 * i + 1] : 0.0));
  }
  return out;
}

}  // namespace siren
