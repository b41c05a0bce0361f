#include "core/geometry/normalization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/geometry/analytic_shapes.h"
#include "core/geometry/marching_cubes.h"
#include "core/geometry/mesh_metrics.h"
#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"

namespace siren::geometry {
namespace {

TEST(Normalization, MatchesTheReferenceFormula) {
  // dataio.PointCloud: coords -= mean; coords = (coords - min) / (max - min) with the min and max over all
  // coordinates; coords = (coords - 0.5) * 2.
  const std::vector<float> p = {1, 10, -3, 5, 12, -1, 3, 11, 4, 2, 15, 0};
  double mean[3] = {0, 0, 0};
  for (size_t i = 0; i < p.size(); ++i) mean[i % 3] += p[i] / 4.0;
  double lo = 1e9, hi = -1e9;
  for (size_t i = 0; i < p.size(); ++i) {
    lo = std::min(lo, p[i] - mean[i % 3]);
    hi = std::max(hi, p[i] - mean[i % 3]);
  }
  const Normalization t = fit_normalization(p);
  std::vector<float> q = p;
  t.apply(q);
  for (size_t i = 0; i < p.size(); ++i) {
    const double expected = ((p[i] - mean[i % 3] - lo) / (hi - lo) - 0.5) * 2.0;
    EXPECT_NEAR(q[i], expected, 1e-6) << i;
  }
  EXPECT_FLOAT_EQ(*std::min_element(q.begin(), q.end()), -1.0f);
  EXPECT_FLOAT_EQ(*std::max_element(q.begin(), q.end()), 1.0f);
  EXPECT_NEAR(t.scale, 2.0 / (hi - lo), 1e-12);
}

TEST(Normalization, InvertUndoesApplyAndConvertsLengths) {
  std::vector<float> p;
  for (int i = 0; i < 100; ++i) p.insert(p.end(), {1000.0f + float(i % 7), -50.0f + 0.5f * float(i), 3.0f * float(i % 5)});
  const Normalization t = fit_normalization(p);
  std::vector<float> q = p;
  t.apply(q);
  for (float v : q) {
    EXPECT_GE(v, -1.0f - 1e-6f);
    EXPECT_LE(v, 1.0f + 1e-6f);
  }
  t.invert(q);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(q[i], p[i], 1e-4 * std::max(1.0f, std::abs(p[i])));
  EXPECT_DOUBLE_EQ(t.length_to_input(t.length_to_normalised(2.5)), 2.5);
  EXPECT_DOUBLE_EQ(t.length_to_normalised(1.0), t.scale);
}

TEST(Normalization, AMeshExtractedInNormalisedSpaceGoesBackWhereTheInputWas) {
  // Points on a sphere of radius 5 around (10, 20, 30), normalised; the normalised sphere meshed and put back.
  const double c[3] = {10, 20, 30}, r = 5;
  io::PointCloud cloud = sample_sdf_surface([&](const Vec3& p) { return sphere_sdf(p, {c[0], c[1], c[2]}, r); },
                                            GridBox{{{4, 14, 24}}, {{16, 26, 36}}}, 2000, 1, 32);
  const std::vector<float> normals = cloud.normals;
  const Normalization t = fit_normalization(cloud.points);
  t.apply(cloud);
  EXPECT_EQ(cloud.normals, normals);  // a uniform scaling leaves directions alone
  float nc[3] = {float(c[0]), float(c[1]), float(c[2])};
  t.apply(nc);
  const double nr = t.length_to_normalised(r);
  const GridBox box{{{-1.2, -1.2, -1.2}}, {{1.2, 1.2, 1.2}}};
  io::Mesh mesh = marching_cubes(40, box, sample_function(40, box, [&](double x, double y, double z) {
                                   return float(sphere_sdf({x, y, z}, {nc[0], nc[1], nc[2]}, nr));
                                 }));
  ASSERT_GT(mesh.vertex_count(), 100u);
  t.invert(mesh);
  for (size_t i = 0; i < mesh.vertex_count(); ++i) {
    const double d = std::hypot(mesh.vertices[3 * i] - c[0], mesh.vertices[3 * i + 1] - c[1], mesh.vertices[3 * i + 2] - c[2]);
    ASSERT_NEAR(d, r, 0.01 * r);
  }
}

TEST(Normalization, Errors) {
  EXPECT_THROWS_WITH(fit_normalization({}), "there are none");
  EXPECT_THROWS_WITH(fit_normalization({2, 2, 2, 2, 2, 2}), "all their coordinates are equal");
  EXPECT_THROWS_WITH(fit_normalization({0, 0, 0, 1, INFINITY, 0}), "point 1 is not finite");
}

}  // namespace
}  // namespace siren::geometry
