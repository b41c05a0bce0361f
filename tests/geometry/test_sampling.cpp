#include "core/geometry/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"

namespace siren::geometry {
namespace {

// Four disjoint triangles of areas 1, 2, 3 and 4 (triangle k lies in the plane z = k, with a different
// orientation each), plus two degenerate ones that must never be sampled.
io::Mesh four_triangles() {
  io::Mesh m;
  for (int k = 0; k < 4; ++k) {
    const float s = std::sqrt(2.0f * float(k + 1)), z = float(k);  // right triangle of legs s: area s^2 / 2
    m.vertices.insert(m.vertices.end(), {0, 0, z, s, 0, z, 0, s, z});
  }
  m.vertices.insert(m.vertices.end(), {5, 5, 9, 6, 6, 9, 7, 7, 9});  // collinear, vertices 12..14
  m.triangles = {0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 11, 10, 12, 13, 14, 12, 12, 13};
  return m;
}

TEST(Sampling, PointsLieOnTheTrianglesWithUnitFaceNormals) {
  const io::Mesh m = four_triangles();
  const io::PointCloud c = sample_surface(m, 20000, 7);
  ASSERT_EQ(c.size(), 20000u);
  EXPECT_TRUE(c.sampled_from_mesh);
  for (size_t i = 0; i < c.size(); ++i) {
    const float x = c.points[3 * i], y = c.points[3 * i + 1], z = c.points[3 * i + 2];
    const int k = int(std::lround(z));
    ASSERT_TRUE(k >= 0 && k < 4) << "z = " << z;
    ASSERT_EQ(z, float(k));
    const float s = std::sqrt(2.0f * float(k + 1));
    ASSERT_GE(x, -1e-6f);
    ASSERT_GE(y, -1e-6f);
    ASSERT_LE(x + y, s * (1 + 1e-6f));
    // Triangles 0 and 2 are counter-clockwise seen from +z, 1 and 3 clockwise.
    const float nz = (k % 2 == 0) ? 1.0f : -1.0f;
    ASSERT_EQ(c.normals[3 * i], 0.0f);
    ASSERT_EQ(c.normals[3 * i + 1], 0.0f);
    ASSERT_EQ(c.normals[3 * i + 2], nz);
  }
}

TEST(Sampling, FacesAreHitInProportionToTheirAreaAndUniformlyWithinThem) {
  const size_t n = 100000;
  const io::PointCloud c = sample_surface(four_triangles(), n, 12345);
  double count[4] = {0, 0, 0, 0};
  double corner[4] = {0, 0, 0, 0};  // triangle 3 split into its 4 midpoint sub-triangles
  for (size_t i = 0; i < n; ++i) {
    const int k = int(std::lround(c.points[3 * i + 2]));
    count[k] += 1;
    if (k == 3) {
      const double s = std::sqrt(8.0), u = c.points[3 * i] / s, v = c.points[3 * i + 1] / s;
      corner[u > 0.5 ? 1 : v > 0.5 ? 2 : u + v < 0.5 ? 0 : 3] += 1;
    }
  }
  // Pearson's chi-square with 3 degrees of freedom: 16.3 is its 0.1% quantile.
  double chi2 = 0;
  for (int k = 0; k < 4; ++k) {
    const double expected = double(n) * (k + 1) / 10.0;
    chi2 += (count[k] - expected) * (count[k] - expected) / expected;
  }
  EXPECT_LT(chi2, 16.3);
  double chi2_within = 0;
  for (double x : corner) {
    const double expected = count[3] / 4;
    chi2_within += (x - expected) * (x - expected) / expected;
  }
  EXPECT_LT(chi2_within, 16.3);
}

TEST(Sampling, DeterministicForASeed) {
  const io::Mesh m = four_triangles();
  EXPECT_EQ(sample_surface(m, 100, 3).points, sample_surface(m, 100, 3).points);
  EXPECT_NE(sample_surface(m, 100, 3).points, sample_surface(m, 100, 4).points);
  EXPECT_EQ(sample_surface(m, 0, 3).size(), 0u);
}

TEST(Sampling, Errors) {
  io::Mesh flat;
  flat.vertices = {0, 0, 0, 1, 1, 1, 2, 2, 2};
  flat.triangles = {0, 1, 2, 0, 0, 1};
  EXPECT_THROWS_WITH(sample_surface(flat, 10, 0), "cannot sample points on the mesh: it has no area");
  io::Mesh none;
  EXPECT_THROWS_WITH(sample_surface(none, 10, 0), "it has no area");
  io::Mesh out_of_range = four_triangles();
  out_of_range.triangles.push_back(0);
  out_of_range.triangles.push_back(1);
  out_of_range.triangles.push_back(15);
  EXPECT_THROWS_WITH(sample_surface(out_of_range, 10, 0), "triangle 6 refers to vertex 15 of 15");
  io::Mesh nan = four_triangles();
  nan.vertices[4] = NAN;
  EXPECT_THROWS_WITH(sample_surface(nan, 10, 0), "vertex 1 is not finite");
}

}  // namespace
}  // namespace siren::geometry
