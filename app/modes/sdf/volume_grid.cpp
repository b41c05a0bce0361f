#include "app/modes/sdf/volume_grid.h"

namespace siren::studio {

double volume_sample_coordinate(int i, int n) {
  return n > 1 ? -kVolumeHalfExtent + 2 * kVolumeHalfExtent * double(i) / double(n - 1) : 0.0;
}

std::vector<float> volume_grid_points(int n) {
  std::vector<float> points(size_t(n) * n * n * 3);
  size_t q = 0;
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        points[q++] = float(volume_sample_coordinate(x, n));
        points[q++] = float(volume_sample_coordinate(y, n));
        points[q++] = float(volume_sample_coordinate(z, n));
      }
  return points;
}

std::array<double, 3> volume_texcoord(const std::array<double, 3>& p, int n) {
  std::array<double, 3> t{};
  for (size_t k = 0; k < 3; ++k) {
    const double f = (p[k] + kVolumeHalfExtent) / (2 * kVolumeHalfExtent);  // 0 .. 1 between the end samples
    t[k] = f * double(n - 1) / double(n) + 0.5 / double(n);
  }
  return t;
}

}  // namespace siren::studio
