#include "core/geometry/analytic_shapes.h"

#include <algorithm>
#include <cmath>

#include "core/geometry/sampling.h"
#include "core/util/error.h"

namespace siren::geometry {

double sphere_sdf(const Vec3& p, const Vec3& center, double radius) {
  return std::hypot(p[0] - center[0], p[1] - center[1], p[2] - center[2]) - radius;
}

double torus_sdf(const Vec3& p, double major, double minor) {
  return std::hypot(std::hypot(p[0], p[1]) - major, p[2]) - minor;
}

double rounded_box_sdf(const Vec3& p, const Vec3& half_extents, double rounding) {
  double q[3], outside = 0, inside = -INFINITY;
  for (int c = 0; c < 3; ++c) {
    q[c] = std::abs(p[size_t(c)]) - (half_extents[size_t(c)] - rounding);
    outside += std::max(q[c], 0.0) * std::max(q[c], 0.0);
    inside = std::max(inside, q[c]);
  }
  return std::sqrt(outside) + std::min(inside, 0.0) - rounding;
}

double smooth_union(double a, double b, double k) {
  const double h = std::max(k - std::abs(a - b), 0.0) / k;
  return std::min(a, b) - h * h * k * 0.25;
}

double smooth_subtraction(double a, double b, double k) { return -smooth_union(-a, b, k); }

double composite_shape_sdf(const Vec3& p) {
  const double box = rounded_box_sdf(p, {0.42, 0.42, 0.42}, 0.08);
  const double ring = torus_sdf(p, 0.6, 0.1);
  const double dimple = sphere_sdf(p, {0.0, 0.0, 0.62}, 0.32);
  return smooth_subtraction(smooth_union(box, ring, 0.05), dimple, 0.03);
}

GridBox composite_shape_box() {
  GridBox box;
  box.lo = {-0.8, -0.8, -0.55};
  box.hi = {0.8, 0.8, 0.55};
  return box;
}

Vec3 sdf_gradient(const Sdf& sdf, const Vec3& p, double h) {
  Vec3 g;
  for (size_t c = 0; c < 3; ++c) {
    Vec3 a = p, b = p;
    a[c] += h;
    b[c] -= h;
    g[c] = (sdf(a) - sdf(b)) / (2 * h);
  }
  return g;
}

io::PointCloud sample_sdf_surface(const Sdf& sdf, const GridBox& box, size_t count, uint64_t seed, int resolution) {
  const io::Mesh mesh = marching_cubes(
      resolution, box, sample_function(resolution, box, [&sdf](double x, double y, double z) { return float(sdf({x, y, z})); }));
  if (mesh.triangles.empty()) throw Error("cannot sample the shape: its zero set does not cross the box");
  double size = 0;
  for (size_t c = 0; c < 3; ++c) size = std::max(size, box.hi[c] - box.lo[c]);
  const double tolerance = 1e-6 * size, step = 1e-6 * size;

  io::PointCloud out;
  out.points.reserve(3 * count);
  out.normals.reserve(3 * count);
  // Points whose Newton iteration does not settle (none for smooth shapes) are replaced by further draws.
  for (uint64_t round = 0; out.size() < count; ++round) {
    if (round > 16) throw Error("cannot sample the shape: points do not converge onto its zero set");
    const io::PointCloud draws = sample_surface(mesh, count - out.size(), seed + round * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < draws.size(); ++i) {
      Vec3 p = {draws.points[3 * i], draws.points[3 * i + 1], draws.points[3 * i + 2]};
      bool settled = false;
      for (int it = 0; it < 12 && !settled; ++it) {
        const double f = sdf(p);
        const Vec3 g = sdf_gradient(sdf, p, step);
        const double g2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
        if (!(g2 > 1e-12)) break;
        if (std::abs(f) < tolerance) {
          settled = true;
          break;
        }
        for (size_t c = 0; c < 3; ++c) p[c] -= f * g[c] / g2;
      }
      if (!settled) continue;
      const Vec3 g = sdf_gradient(sdf, p, step);
      const double len = std::hypot(g[0], g[1], g[2]);
      for (size_t c = 0; c < 3; ++c) {
        out.points.push_back(float(p[c]));
        out.normals.push_back(float(g[c] / len));
      }
    }
  }
  return out;
}

io::PointCloud make_default_shape(size_t count, uint64_t seed) {
  return sample_sdf_surface(composite_shape_sdf, composite_shape_box(), count, seed, 128);
}

}  // namespace siren::geometry
