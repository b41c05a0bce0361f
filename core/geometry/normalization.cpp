#include "core/geometry/normalization.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace siren::geometry {

void Normalization::apply(float p[3]) const {
  for (int c = 0; c < 3; ++c) p[c] = float((double(p[c]) - center[c]) * scale);
}

void Normalization::invert(float p[3]) const {
  for (int c = 0; c < 3; ++c) p[c] = float(double(p[c]) / scale + center[c]);
}

void Normalization::apply(std::vector<float>& points) const {
  for (size_t i = 0; i + 2 < points.size(); i += 3) apply(&points[i]);
}

void Normalization::invert(std::vector<float>& points) const {
  for (size_t i = 0; i + 2 < points.size(); i += 3) invert(&points[i]);
}

Normalization fit_normalization(const std::vector<float>& points) {
  const size_t n = points.size() / 3;
  if (n == 0) throw Error("cannot normalise the points: there are none");
  double mean[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      const double v = points[3 * i + size_t(c)];
      if (!std::isfinite(v)) throw Error("cannot normalise the points: point " + std::to_string(i) + " is not finite");
      mean[c] += v;
    }
  for (double& m : mean) m /= double(n);
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      const double v = double(points[3 * i + size_t(c)]) - mean[c];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!(hi > lo)) throw Error("cannot normalise the points: all their coordinates are equal");
  Normalization t;
  for (int c = 0; c < 3; ++c) t.center[c] = mean[c] + 0.5 * (lo + hi);
  t.scale = 2.0 / (hi - lo);
  return t;
}

}  // namespace siren::geometry
