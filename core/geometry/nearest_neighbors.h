#pragma once
#include <cstddef>
#include <vector>

namespace siren::geometry {

// Exact nearest-neighbour distances in 3-D through a uniform grid of buckets (about two points per
// cell): enough for Chamfer distances of a few hundred thousand points in a second.
class NearestNeighbors {
 public:
  explicit NearestNeighbors(const std::vector<float>& points);  // n x 3, n >= 1
  double distance(const float q[3]) const;

 private:
  std::vector<float> points_;
  std::vector<size_t> order_;  // point indices sorted by cell
  std::vector<size_t> start_;  // cell -> first index into order_ (cells + 1 entries)
  double lo_[3], cell_;
  int dims_[3];
  int cell_of(double v, int axis) const;
};

// Symmetric Chamfer distance: the mean over a of the distance to the nearest b, and the mean over b of
// the distance to the nearest a, averaged.
double chamfer_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace siren::geometry
