#include "core/geometry/analytic_shapes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"

namespace siren::geometry {
namespace {

TEST(AnalyticShapes, DistancesAtKnownPoints) {
  EXPECT_DOUBLE_EQ(sphere_sdf({1, 2, 3}, {1, 2, 1}, 0.5), 1.5);
  EXPECT_DOUBLE_EQ(sphere_sdf({1, 2, 1}, {1, 2, 1}, 0.5), -0.5);
  EXPECT_DOUBLE_EQ(torus_sdf({0.5, 0, 0}, 0.5, 0.2), -0.2);
  EXPECT_DOUBLE_EQ(torus_sdf({0, 0, 0}, 0.5, 0.2), 0.3);
  EXPECT_DOUBLE_EQ(torus_sdf({0, 0.5, 0.5}, 0.5, 0.2), 0.3);
  EXPECT_DOUBLE_EQ(rounded_box_sdf({0, 0, 0}, {1, 2, 3}, 0.1), -1);
  EXPECT_DOUBLE_EQ(rounded_box_sdf({0, 3, 0}, {1, 2, 3}, 0.1), 1);
  EXPECT_NEAR(rounded_box_sdf({2, 3, 4}, {1, 2, 3}, 0.1), std::sqrt(3.0) * 1.1 - 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(smooth_union(0.3, -0.2, 0.1), -0.2);  // far apart: the plain minimum
  EXPECT_LT(smooth_union(0.1, 0.1, 0.1), 0.1);           // blended: below both
  EXPECT_DOUBLE_EQ(smooth_subtraction(-0.5, -0.1, 0.05), 0.1);
}

TEST(AnalyticShapes, DefaultShapePointsLieOnTheSurfaceWithOutwardUnitNormals) {
  const io::PointCloud c = make_default_shape(3000, 11);
  ASSERT_EQ(c.size(), 3000u);
  EXPECT_FALSE(c.sampled_from_mesh);
  const GridBox box = composite_shape_box();
  for (size_t i = 0; i < c.size(); ++i) {
    const Vec3 p = {c.points[3 * i], c.points[3 * i + 1], c.points[3 * i + 2]};
    ASSERT_LT(std::abs(composite_shape_sdf(p)), 1e-5) << i;
    for (size_t k = 0; k < 3; ++k) {
      ASSERT_GT(p[k], box.lo[k]);
      ASSERT_LT(p[k], box.hi[k]);
    }
    const Vec3 g = sdf_gradient(composite_shape_sdf, p);
    const double gl = std::hypot(g[0], g[1], g[2]);
    const double nl = std::hypot(c.normals[3 * i], c.normals[3 * i + 1], c.normals[3 * i + 2]);
    ASSERT_NEAR(nl, 1.0, 1e-6);
    ASSERT_GT((g[0] * c.normals[3 * i] + g[1] * c.normals[3 * i + 1] + g[2] * c.normals[3 * i + 2]) / gl, 0.9999);
    ASSERT_GT(gl, 0.2);  // a well-defined normal, even in the fillets
    ASSERT_LT(gl, 1.0 + 1e-6);
  }
  EXPECT_EQ(make_default_shape(50, 11).points, make_default_shape(50, 11).points);
  EXPECT_NE(make_default_shape(50, 11).points, make_default_shape(50, 12).points);
}

TEST(AnalyticShapes, SurfaceSamplesAreUniformOnASphere) {
  // Uniform on a sphere: each coordinate is uniform on [-r, r] (Archimedes), so its mean is 0 and the mean of
  // its square r^2 / 3.
  const double r = 0.7;
  const size_t n = 20000;
  const io::PointCloud c = sample_sdf_surface([r](const Vec3& p) { return sphere_sdf(p, {0, 0, 0}, r); }, GridBox{}, n, 3, 40);
  double mean[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) {
      const double x = c.points[3 * i + size_t(k)];
      EXPECT_NEAR(x * c.normals[3 * i + size_t(k)], x * x / r, 1e-5);  // the normal is radial
      mean[k] += x / double(n);
      sq[k] += x * x / double(n);
    }
  // Standard errors: r / sqrt(3 n) = 0.003 for the mean, about 0.002 for the mean square.
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(mean[k], 0.0, 0.015);
    EXPECT_NEAR(sq[k], r * r / 3, 0.01);
  }
}

TEST(AnalyticShapes, ASurfaceOutsideTheBoxIsAnError) {
  EXPECT_THROWS_WITH(sample_sdf_surface([](const Vec3& p) { return sphere_sdf(p, {5, 5, 5}, 0.5); }, GridBox{}, 10, 0, 8),
                     "its zero set does not cross the box");
}

}  // namespace
}  // namespace siren::geometry
