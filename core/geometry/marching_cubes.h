#pragma once
#include <array>
#include <functional>
#include <vector>

#include "core/io/mesh.h"

namespace siren::geometry {

// The box a grid spans. Grid point i of `resolution` along an axis lies at lo + (hi - lo) * i / (resolution - 1),
// so the end points are exactly lo and hi (as for pixels, DESIGN.md section 2).
struct GridBox {
  std::array<double, 3> lo{{-1, -1, -1}};
  std::array<double, 3> hi{{1, 1, 1}};
};

double grid_coordinate(const GridBox& box, int axis, int index, int resolution);

// Fills `slab` (already sized resolution x resolution) with the field at grid slice z: slab[j * resolution + i]
// is the value at (x_i, y_j, z_z), x varying fastest. It may throw (e.g. to cancel); the exception propagates.
using SlabFunction = std::function<void(int z, std::vector<float>& slab)>;

constexpr int kMaxMarchingCubesResolution = 1024;

// The level set {field = iso} of a field sampled on a resolution^3 grid over `box`, as a triangle mesh:
// - orientation: triangles are counter-clockwise seen from the side where field > iso, so their normals
//   point towards larger values (outwards for a signed distance, negative inside);
// - a grid point is "inside" when its value < iso; one vertex per grid edge that changes sign, shared by the
//   cubes around that edge, placed by linear interpolation; faces whose four corners alternate in sign are
//   resolved by the asymptotic decider (the bilinear interpolant's saddle), the same way from both cubes,
//   so the mesh has no cracks: it is closed wherever the surface does not leave the box, and every edge
//   is shared by exactly two triangles in opposite directions;
// - bounded memory: `field` is called once for each z = 0, 1, ..., resolution - 1 in order, always with one
//   of the same two vectors, and the extraction keeps O(resolution^2) besides the output mesh.
// An empty mesh when the field does not cross iso. Throws siren::Error for a resolution outside
// 2..kMaxMarchingCubesResolution, an empty box, a slab resized by the callback or a non-finite value.
io::Mesh marching_cubes(int resolution, const GridBox& box, const SlabFunction& field, float iso = 0.0f);

// A SlabFunction that evaluates f(x, y, z) at the grid points, for analytic fields and tests.
SlabFunction sample_function(int resolution, const GridBox& box, std::function<float(double, double, double)> f);

}  // namespace siren::geometry
