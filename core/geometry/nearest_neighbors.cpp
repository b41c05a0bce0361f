#include "core/geometry/nearest_neighbors.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/error.h"

namespace siren::geometry {

NearestNeighbors::NearestNeighbors(const std::vector<float>& points) : points_(points) {
  const size_t n = points_.size() / 3;
  if (n == 0) throw Error("nearest neighbours of an empty point set");
  double hi[3];
  for (int k = 0; k < 3; ++k) lo_[k] = hi[k] = points_[size_t(k)];
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) {
      lo_[k] = std::min(lo_[k], double(points_[i * 3 + size_t(k)]));
      hi[k] = std::max(hi[k], double(points_[i * 3 + size_t(k)]));
    }
  // Cells sized for about two points each over the bounding box's volume (surfaces fill it sparsely,
  // so in practice a cell holds a few more), with at most 2^21 cells per axis product.
  const double ext[3] = {hi[0] - lo_[0], hi[1] - lo_[1], hi[2] - lo_[2]};
  const double volume = std::max(ext[0], 1e-9) * std::max(ext[1], 1e-9) * std::max(ext[2], 1e-9);
  cell_ = std::max(std::cbrt(volume * 2.0 / double(n)), 1e-9);
  for (;;) {
    size_t cells = 1;
    for (int k = 0; k < 3; ++k) {
      dims_[k] = std::max(1, int(std::ceil(ext[k] / cell_)) + 1);
      cells *= size_t(dims_[k]);
    }
    if (cells <= (size_t(1) << 21)) break;
    cell_ *= 1.5;
  }
  const size_t cells = size_t(dims_[0]) * dims_[1] * dims_[2];
  std::vector<size_t> cell_index(n);
  start_.assign(cells + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = (size_t(cell_of(points_[i * 3 + 2], 2)) * dims_[1] + size_t(cell_of(points_[i * 3 + 1], 1))) *
                         dims_[0] +
                     size_t(cell_of(points_[i * 3], 0));
    cell_index[i] = c;
    ++start_[c + 1];
  }
  for (size_t c = 0; c < cells; ++c) start_[c + 1] += start_[c];
  order_.resize(n);
  std::vector<size_t> fill(start_.begin(), start_.end() - 1);
  for (size_t i = 0; i < n; ++i) order_[fill[cell_index[i]]++] = i;
}

int NearestNeighbors::cell_of(double v, int axis) const {
  return std::clamp(int(std::floor((v - lo_[axis]) / cell_)), 0, dims_[axis] - 1);
}

double NearestNeighbors::distance(const float q[3]) const {
  const int c[3] = {cell_of(q[0], 0), cell_of(q[1], 1), cell_of(q[2], 2)};
  double best = std::numeric_limits<double>::infinity();
  // Grow a shell of cells until no unvisited cell can hold anything closer than the best so far.
  for (int r = 0;; ++r) {
    for (int z = c[2] - r; z <= c[2] + r; ++z)
      for (int y = c[1] - r; y <= c[1] + r; ++y)
        for (int x = c[0] - r; x <= c[0] + r; ++x) {
          if (std::max({std::abs(x - c[0]), std::abs(y - c[1]), std::abs(z - c[2])}) != r) continue;
          if (x < 0 || y < 0 || z < 0 || x >= dims_[0] || y >= dims_[1] || z >= dims_[2]) continue;
          const size_t cell = (size_t(z) * dims_[1] + size_t(y)) * dims_[0] + size_t(x);
          for (size_t j = start_[cell]; j < start_[cell + 1]; ++j) {
            const float* p = &points_[order_[j] * 3];
            const double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
            best = std::min(best, dx * dx + dy * dy + dz * dz);
          }
        }
    // Points in shell r + 1 are at least r * cell_ away (the query may sit anywhere in its cell).
    if (std::isfinite(best) && double(r) * cell_ >= std::sqrt(best)) break;
    if (r > dims_[0] + dims_[1] + dims_[2]) break;
  }
  return std::sqrt(best);
}

double chamfer_distance(const std::vector<float>& a, const std::vector<float>& b) {
  const NearestNeighbors na(a), nb(b);
  auto directed = [](const std::vector<float>& from, const NearestNeighbors& to) {
    double sum = 0;
    const size_t n = from.size() / 3;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (size_t i = 0; i < n; ++i) sum += to.distance(&from[i * 3]);
    return sum / double(n);
  };
  return 0.5 * (directed(a, nb) + directed(b, na));
}

}  // namespace siren::geometry
