#include "core/geometry/marching_cubes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "core/geometry/analytic_shapes.h"
#include "core/geometry/mesh_metrics.h"
#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"

namespace siren::geometry {
namespace {

constexpr double kPi = 3.14159265358979323846;

Vec3 vertex(const io::Mesh& m, size_t i) { return {m.vertices[3 * i], m.vertices[3 * i + 1], m.vertices[3 * i + 2]}; }

// The unnormalised normal (v1 - v0) x (v2 - v0) and the centroid of triangle t.
void triangle(const io::Mesh& m, size_t t, Vec3& normal, Vec3& centroid) {
  const Vec3 a = vertex(m, m.triangles[3 * t]), b = vertex(m, m.triangles[3 * t + 1]), c = vertex(m, m.triangles[3 * t + 2]);
  const Vec3 e1 = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, e2 = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  normal = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
  for (size_t k = 0; k < 3; ++k) centroid[k] = (a[k] + b[k] + c[k]) / 3;
}

io::Mesh mesh_of(int res, const GridBox& box, const Sdf& sdf, float iso = 0) {
  return marching_cubes(res, box, sample_function(res, box, [&](double x, double y, double z) { return float(sdf({x, y, z})); }),
                        iso);
}

TEST(MarchingCubes, SphereIsClosedWithEulerCharacteristicTwoAndTheRightAreaAndPlace) {
  const Vec3 c = {0.013, -0.021, 0.034};
  const double r = 0.6, h = 2.0 / 63;
  const io::Mesh m = mesh_of(64, GridBox{}, [&](const Vec3& p) { return sphere_sdf(p, c, r); });
  const MeshTopology topo = mesh_topology(m);
  EXPECT_TRUE(topo.closed_and_oriented());
  EXPECT_EQ(topo.boundary_edges, 0u);
  EXPECT_EQ(topo.non_manifold_edges, 0u);
  EXPECT_EQ(topo.vertices, m.vertex_count());  // every vertex is used
  EXPECT_EQ(topo.euler_characteristic(), 2);
  EXPECT_EQ(euler_characteristic(m), 2);
  EXPECT_TRUE(is_closed(m));
  EXPECT_NEAR(mesh_area(m), 4 * kPi * r * r, 0.01 * 4 * kPi * r * r);
  for (size_t i = 0; i < m.vertex_count(); ++i) {
    const Vec3 v = vertex(m, i);
    ASSERT_LT(std::abs(sphere_sdf(v, c, r)), 0.5 * h) << i;
  }
  // Normals point outwards: in sum, and triangle by triangle.
  double sum = 0;
  for (size_t t = 0; t < m.triangle_count(); ++t) {
    Vec3 n, g;
    triangle(m, t, n, g);
    const double d = n[0] * (g[0] - c[0]) + n[1] * (g[1] - c[1]) + n[2] * (g[2] - c[2]);
    ASSERT_GT(d, 0) << "triangle " << t;
    sum += d;
  }
  EXPECT_GT(sum, 0);
}

TEST(MarchingCubes, TorusHasEulerCharacteristicZeroAndTheRightArea) {
  const double R = 0.5, r = 0.2;
  const io::Mesh m = mesh_of(64, GridBox{}, [&](const Vec3& p) { return torus_sdf({p[0] - 0.011, p[1] + 0.007, p[2] - 0.019}, R, r); });
  const MeshTopology topo = mesh_topology(m);
  EXPECT_TRUE(topo.closed_and_oriented());
  EXPECT_EQ(topo.euler_characteristic(), 0);
  EXPECT_NEAR(mesh_area(m), 4 * kPi * kPi * R * r, 0.02 * 4 * kPi * kPi * R * r);
}

TEST(MarchingCubes, TheCompositeShapeHasGenusFour) {
  const io::Mesh m = mesh_of(80, composite_shape_box(), composite_shape_sdf);
  const MeshTopology topo = mesh_topology(m);
  EXPECT_TRUE(topo.closed_and_oriented());
  EXPECT_EQ(topo.euler_characteristic(), 2 - 2 * 4);
}

TEST(MarchingCubes, NoSignChangeGivesAnEmptyMesh) {
  for (float value : {1.0f, -1.0f, 0.0f}) {
    const io::Mesh m = marching_cubes(8, GridBox{}, [value](int, std::vector<float>& s) { std::fill(s.begin(), s.end(), value); });
    EXPECT_TRUE(m.vertices.empty());
    EXPECT_TRUE(m.triangles.empty());
  }
}

TEST(MarchingCubes, NormalsPointTowardsLargerValues) {
  // The negated sphere field is positive inside: its triangles face the centre.
  const io::Mesh m = mesh_of(24, GridBox{}, [](const Vec3& p) { return -sphere_sdf(p, {0, 0, 0}, 0.55); });
  ASSERT_GT(m.triangle_count(), 0u);
  EXPECT_TRUE(mesh_topology(m).closed_and_oriented());
  for (size_t t = 0; t < m.triangle_count(); ++t) {
    Vec3 n, g;
    triangle(m, t, n, g);
    ASSERT_LT(n[0] * g[0] + n[1] * g[1] + n[2] * g[2], 0) << t;
  }
}

TEST(MarchingCubes, IsoValueAndAPlaneInAnUnevenBox) {
  // {sphere_sdf = 0.1} is the sphere of radius 0.6.
  const io::Mesh s = mesh_of(32, GridBox{}, [](const Vec3& p) { return sphere_sdf(p, {0, 0, 0}, 0.5); }, 0.1f);
  for (size_t i = 0; i < s.vertex_count(); ++i) {
    const Vec3 v = vertex(s, i);
    ASSERT_NEAR(std::hypot(v[0], v[1], v[2]), 0.6, 0.01);
  }
  // The plane z = 1.3 across a box 2 x 2 x 3: an open square of area 4, facing +z.
  const GridBox box{{{-1, -2, 0}}, {{1, 0, 3}}};
  const io::Mesh p = mesh_of(17, box, [](const Vec3& q) { return q[2] - 1.3; });
  for (size_t i = 0; i < p.vertex_count(); ++i) {
    const Vec3 v = vertex(p, i);
    ASSERT_NEAR(v[2], 1.3, 1e-6);
    ASSERT_GE(v[0], -1 - 1e-6);
    ASSERT_LE(v[0], 1 + 1e-6);
    ASSERT_GE(v[1], -2 - 1e-6);
    ASSERT_LE(v[1], 0 + 1e-6);
  }
  EXPECT_NEAR(mesh_area(p), 4.0, 1e-4);
  const MeshTopology topo = mesh_topology(p);
  EXPECT_EQ(topo.boundary_edges, 4u * 16u);
  EXPECT_EQ(topo.non_manifold_edges, 0u);
  EXPECT_EQ(topo.misoriented_edges, 0u);
  EXPECT_EQ(topo.euler_characteristic(), 1);  // a disc
  for (size_t t = 0; t < p.triangle_count(); ++t) {
    Vec3 n, g;
    triangle(p, t, n, g);
    ASSERT_GT(n[2], 0);
  }
}

TEST(MarchingCubes, AsksForEachSliceOnceInOrderWithTwoBuffers) {
  const int res = 40;
  std::vector<int> asked;
  std::set<const float*> buffers;
  const auto field = sample_function(res, GridBox{}, [](double x, double y, double z) {
    return float(torus_sdf({x, y, z}, 0.5, 0.25));
  });
  const io::Mesh m = marching_cubes(res, GridBox{}, [&](int z, std::vector<float>& slab) {
    EXPECT_EQ(slab.size(), size_t(res * res));
    asked.push_back(z);
    buffers.insert(slab.data());
    field(z, slab);
  });
  EXPECT_GT(m.triangle_count(), 0u);
  ASSERT_EQ(asked.size(), size_t(res));
  for (int z = 0; z < res; ++z) EXPECT_EQ(asked[size_t(z)], z);
  EXPECT_LE(buffers.size(), 2u);
}

// Union-find components of the inside corners of one cube, joined along cube edges.
int components(int config) {
  int parent[8];
  for (int k = 0; k < 8; ++k) parent[k] = k;
  auto find = [&](int k) {
    while (parent[k] != k) k = parent[k];
    return k;
  };
  for (int k = 0; k < 8; ++k)
    for (int bit = 1; bit < 8; bit <<= 1)
      if (((config >> k) & 1) && ((config >> (k ^ bit)) & 1)) parent[find(k)] = find(k ^ bit);
  int n = 0;
  for (int k = 0; k < 8; ++k) n += ((config >> k) & 1) && find(k) == k;
  return n;
}

// A 4^3 grid, outside everywhere but at the central cube's corners, which take `corner(k)`.
io::Mesh one_cube(const std::function<float(int)>& corner) {
  return marching_cubes(4, GridBox{}, [&](int z, std::vector<float>& s) {
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 4; ++i) {
        const bool centre = i >= 1 && i <= 2 && j >= 1 && j <= 2 && z >= 1 && z <= 2;
        s[size_t(j * 4 + i)] = centre ? corner((i - 1) | (j - 1) << 1 | (z - 1) << 2) : 1.0f;
      }
  });
}

TEST(MarchingCubes, EveryCubeConfigurationGivesClosedOrientedSpheres) {
  for (int config = 0; config < 256; ++config) {
    // Equal magnitudes: faces with alternating corners keep their inside corners apart.
    const io::Mesh m = one_cube([config](int k) { return ((config >> k) & 1) ? -1.0f : 1.0f; });
    const MeshTopology topo = mesh_topology(m);
    if (config == 0) {
      EXPECT_EQ(m.triangle_count(), 0u);
      continue;
    }
    EXPECT_TRUE(topo.closed_and_oriented()) << "configuration " << config;
    EXPECT_EQ(topo.euler_characteristic(), 2 * components(config)) << "configuration " << config;
  }
}

TEST(MarchingCubes, EveryConfigurationWithRandomValuesIsClosedAndOriented) {
  // Random magnitudes exercise both resolutions of every ambiguous face.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> mag(0.05f, 1.0f);
  for (int config = 1; config < 256; ++config)
    for (int trial = 0; trial < 6; ++trial) {
      float v[8];
      for (int k = 0; k < 8; ++k) v[k] = ((config >> k) & 1) ? -mag(rng) : mag(rng);
      const MeshTopology topo = mesh_topology(one_cube([&v](int k) { return v[k]; }));
      ASSERT_TRUE(topo.closed_and_oriented()) << "configuration " << config << " trial " << trial;
      ASSERT_EQ(topo.euler_characteristic() % 2, 0) << "configuration " << config;
    }
}

TEST(MarchingCubes, RandomFieldsGiveClosedOrientedManifoldsWithSharedVertices) {
  const int res = 14;
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> field(size_t(res) * res * res);
    for (int z = 0; z < res; ++z)
      for (int j = 0; j < res; ++j)
        for (int i = 0; i < res; ++i) {
          const bool border = i == 0 || j == 0 || z == 0 || i == res - 1 || j == res - 1 || z == res - 1;
          field[(size_t(z) * res + j) * res + i] = border ? 1.0f : u(rng);
        }
    const io::Mesh m = marching_cubes(res, GridBox{}, [&](int z, std::vector<float>& s) {
      std::copy_n(field.begin() + ptrdiff_t(size_t(z) * res * res), size_t(res) * res, s.begin());
    });
    const MeshTopology topo = mesh_topology(m);
    EXPECT_TRUE(topo.closed_and_oriented()) << "seed " << seed;
    // One vertex per grid edge that changes sign (plus, rarely, one at the centre of a complicated cube's loop).
    size_t crossings = 0;
    auto at = [&](int i, int j, int z) { return field[(size_t(z) * res + j) * res + i] < 0; };
    for (int z = 0; z < res; ++z)
      for (int j = 0; j < res; ++j)
        for (int i = 0; i < res; ++i) {
          if (i + 1 < res) crossings += at(i, j, z) != at(i + 1, j, z);
          if (j + 1 < res) crossings += at(i, j, z) != at(i, j + 1, z);
          if (z + 1 < res) crossings += at(i, j, z) != at(i, j, z + 1);
        }
    EXPECT_GE(m.vertex_count(), crossings);
    EXPECT_LE(m.vertex_count(), crossings + crossings / 20);
    std::set<std::tuple<float, float, float>> positions;
    for (size_t i = 0; i < m.vertex_count(); ++i)
      positions.insert({m.vertices[3 * i], m.vertices[3 * i + 1], m.vertices[3 * i + 2]});
    EXPECT_EQ(positions.size(), m.vertex_count()) << "duplicate vertices";
  }
}

TEST(MarchingCubes, Errors) {
  const auto zero = [](int, std::vector<float>&) {};
  EXPECT_THROWS_WITH(marching_cubes(1, GridBox{}, zero), "the resolution must be 2..1024, not 1");
  EXPECT_THROWS_WITH(marching_cubes(1025, GridBox{}, zero), "not 1025");
  EXPECT_THROWS_WITH(marching_cubes(4, GridBox{{{0, 0, 0}}, {{1, 0, 1}}}, zero), "lo < hi");
  EXPECT_THROWS_WITH(marching_cubes(4, GridBox{}, [](int, std::vector<float>& s) { s.resize(3); }),
                     "the field callback resized slab 0 to 3 values (it must hold 16)");
  EXPECT_THROWS_WITH(marching_cubes(4, GridBox{}, [](int z, std::vector<float>& s) {
                       s.assign(16, 1.0f);
                       if (z == 2) s[6] = NAN;
                     }),
                     "the field is not finite at grid point (2, 1, 2)");
}

}  // namespace
}  // namespace siren::geometry
