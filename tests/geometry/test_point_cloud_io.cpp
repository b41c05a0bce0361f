#include "core/io/point_cloud.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/io/mesh.h"
#include "core/io/mesh_parse.h"
#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"
#include "tests/io/temp_dir.h"

namespace siren::io {
namespace {

using test::slurp;
using test::spit;

class PointCloudIo : public siren::test::TempDirTest {
 protected:
  PointCloud load_text(const std::string& name, const std::string& text, PointCloudLoadOptions options = {}) {
    const std::string path = temp_path(name);
    spit(path, text);
    return load_point_cloud(path, options);
  }
};

std::string parse_error(const std::string& ext, const std::string& text) {
  try {
    PointCloudLoadOptions options;
    options.mesh_samples = 10;
    detail::parse_point_cloud(std::vector<unsigned char>(text.begin(), text.end()), ext, "F: ", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

PointCloud sample_cloud() {
  PointCloud c;
  c.points = {0.1f, -0.2f, 0.3f, 1e-30f, 3.4e38f, -0.0f, 1.0f / 3.0f, 2.0f / 3.0f, 1e-45f};
  c.normals = {0, 0, 1, 0.6f, 0.8f, 0, -1, 0, 0};
  return c;
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
}

TEST_F(PointCloudIo, XyzRoundTripIsExact) {
  const PointCloud c = sample_cloud();
  const std::string path = temp_path("c.xyz");
  save_point_cloud(path, c);
  EXPECT_EQ(slurp(path).substr(0, 18), "0.1 -0.2 0.3 0 0 1");
  const PointCloud back = load_point_cloud(path);
  expect_same_bits(back.points, c.points);
  expect_same_bits(back.normals, c.normals);
  EXPECT_FALSE(back.sampled_from_mesh);
}

TEST_F(PointCloudIo, PlyRoundTripIsBitExact) {
  const PointCloud c = sample_cloud();
  const std::string path = temp_path("c.ply");
  save_point_cloud(path, c);
  EXPECT_NE(slurp(path).find("property float nz\nend_header\n"), std::string::npos);
  const PointCloud back = load_point_cloud(path);
  expect_same_bits(back.points, c.points);
  expect_same_bits(back.normals, c.normals);
}

TEST_F(PointCloudIo, XyzWithCommentsBlankLinesTabsAndCrlfNormalisesNormals) {
  const PointCloud c = load_text("c.xyz",
                                 "# exported by hand\r\n"
                                 "\r\n"
                                 "1 2 3\t0 0 2\r\n"
                                 "  -1e-2 +4 5.5 3 4 0   # trailing comment\r\n"
                                 "7 8 9 0 0 0\n"  // a zero normal: dropped, counted
                                 "1e-50 -2.5E+1 1e-400 0 0 -1\n");  // below float range: zero
  EXPECT_EQ(c.points, (std::vector<float>{1, 2, 3, -0.01f, 4, 5.5f, 0, -25, 0}));
  EXPECT_EQ(c.normals, (std::vector<float>{0, 0, 1, 0.6f, 0.8f, 0, 0, 0, -1}));
  EXPECT_EQ(c.dropped_zero_normals, 1u);
}

TEST_F(PointCloudIo, XyzErrors) {
  const std::string path = temp_path("e.xyz");
  spit(path, "0 0 0 0 0 1\n1 2 3\n");
  EXPECT_THROWS_WITH(load_point_cloud(path), "cannot load point cloud " + path +
                                                 ": line 2: the point has no normal (3 numbers: x y z); the cloud has "
                                                 "no normals, and fitting an SDF needs oriented points");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 3 4 5\n"), "F: line 1: expected 6 numbers (x y z nx ny nz), found 5");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 3 4 5 six\n"), "line 1: 'six' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 3 4 5 nan\n"), "line 1: 'nan' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 4e38 4 5 6\n"), "line 1: '4e38' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 -1e9999 4 5 6\n"), "line 1: '-1e9999' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 0x10 4 5 6\n"), "line 1: '0x10' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 ++3 4 5 6\n"), "line 1: '++3' is not a finite number");
  EXPECT_CONTAINS(parse_error(".xyz", "1,2,3,4,5,6\n"), "line 1: expected 6 numbers");
  EXPECT_CONTAINS(parse_error(".xyz", "# nothing\n\n"), "the file has no points");
  EXPECT_CONTAINS(parse_error(".xyz", "1 2 3 0 0 0\n"), "every point has a zero normal");
  EXPECT_THROWS_WITH(load_point_cloud(temp_path("none.xyz")), "cannot load point cloud " + temp_path("none.xyz") + ": no such file");
  EXPECT_THROWS_WITH(load_point_cloud(temp_path("c.pcd")), "unsupported point cloud format '.pcd'");
}

TEST_F(PointCloudIo, AsciiPlyVerticesWithNormalsInAnyOrderAndOtherProperties) {
  const PointCloud c = load_text("v.ply",
                                 "ply\nformat ascii 1.0\nelement vertex 2\n"
                                 "property double nz\nproperty uchar red\nproperty float z\nproperty float x\n"
                                 "property list uchar int junk\nproperty float y\nproperty double nx\nproperty float ny\n"
                                 "element face 0\nproperty list uchar int vertex_indices\n"
                                 "end_header\n"
                                 "1 255 3 1 2 5 6 2 0 0\n"
                                 "0 0 6 4 0 5 0 1\n");
  EXPECT_EQ(c.points, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(c.normals, (std::vector<float>{0, 0, 1, 0, 1, 0}));
  EXPECT_FALSE(c.sampled_from_mesh);
}

TEST_F(PointCloudIo, PlyWithoutNormalsOrFacesIsRefused) {
  EXPECT_CONTAINS(parse_error(".ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                                      "property float z\nend_header\n1 2 3\n"),
                  "the vertices have no normals (nx ny nz) and there are no faces; fitting an SDF needs oriented points");
  EXPECT_CONTAINS(parse_error(".ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                                      "property float z\nproperty float nx\nend_header\n1 2 3 0\n"),
                  "only some of the normal components");
}

// A unit square in z = 0 (two triangles, normal +z) as each mesh format.
const char kSquareObj[] = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n";
const char kSquareOff[] = "OFF\n4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n";

void expect_on_unit_square(const PointCloud& c, size_t n) {
  ASSERT_EQ(c.size(), n);
  EXPECT_TRUE(c.sampled_from_mesh);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_GE(c.points[3 * i], 0.0f);
    EXPECT_LE(c.points[3 * i], 1.0f);
    EXPECT_GE(c.points[3 * i + 1], 0.0f);
    EXPECT_LE(c.points[3 * i + 1], 1.0f);
    EXPECT_EQ(c.points[3 * i + 2], 0.0f);
    EXPECT_EQ(c.normals[3 * i + 2], 1.0f);
  }
}

TEST_F(PointCloudIo, MeshesAreSampledByArea) {
  PointCloudLoadOptions options;
  options.mesh_samples = 500;
  expect_on_unit_square(load_text("s.obj", kSquareObj, options), 500);
  expect_on_unit_square(load_text("s.off", kSquareOff, options), 500);
  Mesh square;
  square.vertices = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
  square.triangles = {0, 1, 2, 0, 2, 3};
  const std::string ply = temp_path("s.ply");
  save_mesh(ply, square);
  const PointCloud a = load_point_cloud(ply, options);
  expect_on_unit_square(a, 500);
  // Deterministic for a seed, different for another.
  EXPECT_EQ(load_point_cloud(ply, options).points, a.points);
  options.seed = 1;
  EXPECT_NE(load_point_cloud(ply, options).points, a.points);
}

TEST_F(PointCloudIo, MeshErrorsAreReportedAsPointCloudErrors) {
  const std::string path = temp_path("bad.obj");
  spit(path, "v 0 0 0\nf 1 2 3\n");
  EXPECT_THROWS_WITH(load_point_cloud(path), "cannot load point cloud " + path +
                                                 ": line 2: vertex index 3 is out of range (the file has 1 vertex)");
  EXPECT_CONTAINS(parse_error(".off", "OFF\n3 1 0\n0 0 0\n1 1 1\n2 2 2\n3 0 1 2\n"),
                  "F: cannot sample points on the mesh: it has no area");
}

}  // namespace
}  // namespace siren::io
