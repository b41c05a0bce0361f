#include "core/io/mesh.h"
#include "core/io/mesh_parse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/util/error.h"
#include "tests/geometry/geometry_test_util.h"
#include "tests/io/temp_dir.h"

namespace siren::io {
namespace {

using test::slurp;
using test::spit;

// The message parsing `text` as a file of extension `ext` throws, or "" when it parses.
std::string parse_error(const std::string& ext, const std::string& text) {
  try {
    detail::parse_mesh(std::vector<unsigned char>(text.begin(), text.end()), ext, "F: ");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class MeshIo : public siren::test::TempDirTest {
 protected:
  Mesh load_text(const std::string& name, const std::string& text) {
    const std::string path = temp_path(name);
    spit(path, text);
    return load_mesh(path);
  }
  // The message load_mesh throws for a file holding `text`, or "" when it loads.
  std::string error_of(const std::string& name, const std::string& text) {
    try {
      load_text(name, text);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

// A mesh whose coordinates need every bit of a float to survive a round trip.
Mesh awkward_mesh() {
  Mesh m;
  m.vertices = {0.1f, -0.2f, 0.3f,  1e-30f, 3.4e38f, -0.0f,  1.0f / 3.0f, 2.0f / 3.0f, 1e-45f,
                -7.25f, 1234567.8f, 0.0f};
  m.triangles = {0, 1, 2, 0, 2, 3, 3, 2, 1};
  return m;
}

TEST_F(MeshIo, BinaryPlyRoundTripIsBitExact) {
  const Mesh m = awkward_mesh();
  const std::string path = temp_path("m.ply");
  save_mesh(path, m);
  const std::string bytes = slurp(path);
  EXPECT_EQ(bytes.rfind("ply\nformat binary_little_endian 1.0\n", 0), 0u);
  EXPECT_NE(bytes.find("element vertex 4\n"), std::string::npos);
  EXPECT_NE(bytes.find("element face 3\nproperty list uchar int vertex_indices\nend_header\n"), std::string::npos);
  const Mesh back = load_mesh(path);
  ASSERT_EQ(back.vertices.size(), m.vertices.size());
  EXPECT_EQ(std::memcmp(back.vertices.data(), m.vertices.data(), m.vertices.size() * 4), 0);
  EXPECT_EQ(back.triangles, m.triangles);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(MeshIo, ObjRoundTripIsExactToTheBit) {
  const Mesh m = awkward_mesh();
  const std::string path = temp_path("m.OBJ");  // extensions are case-insensitive
  save_mesh(path, m);
  const Mesh back = load_mesh(path);
  ASSERT_EQ(back.vertices.size(), m.vertices.size());
  EXPECT_EQ(std::memcmp(back.vertices.data(), m.vertices.data(), m.vertices.size() * 4), 0);
  EXPECT_EQ(back.triangles, m.triangles);
  EXPECT_NE(slurp(path).find("\nf 1 2 3\n"), std::string::npos);
}

TEST_F(MeshIo, SaveRefusesBadMeshesAndFormatsLeavingTheOldFile) {
  const std::string path = temp_path("m.ply");
  spit(path, "old");
  Mesh bad = awkward_mesh();
  bad.triangles.push_back(0);
  bad.triangles.push_back(1);
  bad.triangles.push_back(4);  // out of range
  EXPECT_THROWS_WITH(save_mesh(path, bad), "cannot write " + path + ": triangle 3 refers to vertex 4");
  Mesh nan = awkward_mesh();
  nan.vertices[4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROWS_WITH(save_mesh(path, nan), "vertex 1 is not finite");
  EXPECT_THROWS_WITH(save_mesh(temp_path("m.stl"), awkward_mesh()), "unsupported mesh format '.stl'");
  EXPECT_EQ(slurp(path), "old");
}

const char kAsciiPly[] =
    "ply\r\n"
    "format ascii 1.0\r\n"
    "comment made by hand\r\n"
    "obj_info nothing\r\n"
    "element vertex 5\r\n"
    "property float confidence\r\n"
    "property double x\r\n"
    "property double y\r\n"
    "property int z\r\n"
    "property uchar red\r\n"
    "property list uchar float extra\r\n"
    "element face 2\r\n"
    "property int flags\r\n"
    "property list uchar int vertex_indices\r\n"
    "property list int float texcoord\r\n"
    "element edge 1\r\n"
    "property int vertex1\r\n"
    "property int vertex2\r\n"
    "end_header\r\n"
    "0.5 0 0 0 255 0\r\n"
    "0.5 1 0 0 255 2 7 8\r\n"
    "0.5 1 1.5 0 255 1 -1e3\r\n"
    "0.5 0 1 0 255 0\r\n"
    "\r\n"
    "0.5 0.5 0.5 2 255 0\r\n"
    "7 4 0 1 2 3 0\r\n"
    "9 3 4 1 0 6 0.1 0.2 0.3 0.4 0.5 0.6\r\n"
    "0 1\r\n";

TEST_F(MeshIo, AsciiPlyWithExtraPropertiesListsAndElements) {
  const Mesh m = load_text("a.ply", kAsciiPly);
  EXPECT_EQ(m.vertices, (std::vector<float>{0, 0, 0, 1, 0, 0, 1, 1.5f, 0, 0, 1, 0, 0.5f, 0.5f, 2}));
  // The quad fanned from its first vertex, then the triangle.
  EXPECT_EQ(m.triangles, (std::vector<uint32_t>{0, 1, 2, 0, 2, 3, 4, 1, 0}));
}

// A binary little-endian PLY, built value by value.
class Bin {
 public:
  template <class T>
  Bin& put(T v) {
    s_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  std::string str() const { return s_; }

 private:
  std::string s_;
};

std::string binary_ply() {
  std::string h =
      "ply\nformat binary_little_endian 1.0\ncomment binary\n"
      "element vertex 5\nproperty uchar flag\nproperty double x\nproperty float y\nproperty short z\n"
      "property list ushort uint ignored\nproperty float nx\nproperty float ny\nproperty float nz\n"
      "element face 2\nproperty list int uint vertex_index\nproperty uchar material\n"
      "element camera 1\nproperty float fov\n"
      "end_header\n";
  Bin b;
  const double xs[5] = {0, 1, 1, 0, 0.5};
  const float ys[5] = {0, 0, 1, 1, 0.5f};
  for (int i = 0; i < 5; ++i) {
    b.put<uint8_t>(7).put<double>(xs[i]).put<float>(ys[i]).put<int16_t>(int16_t(i == 4 ? -3 : 0));
    b.put<uint16_t>(uint16_t(i % 3));
    for (int k = 0; k < i % 3; ++k) b.put<uint32_t>(99);
    b.put<float>(0).put<float>(0).put<float>(1);
  }
  b.put<int32_t>(5).put<uint32_t>(0).put<uint32_t>(1).put<uint32_t>(2).put<uint32_t>(3).put<uint32_t>(4).put<uint8_t>(1);
  b.put<int32_t>(3).put<uint32_t>(4).put<uint32_t>(2).put<uint32_t>(1).put<uint8_t>(2);
  b.put<float>(60.0f);
  return h + b.str();
}

TEST_F(MeshIo, BinaryPlyWithSkippedScalarsListsAndElements) {
  const Mesh m = load_text("b.ply", binary_ply());
  EXPECT_EQ(m.vertices, (std::vector<float>{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0.5f, 0.5f, -3}));
  EXPECT_EQ(m.triangles, (std::vector<uint32_t>{0, 1, 2, 0, 2, 3, 0, 3, 4, 4, 2, 1}));
}

TEST_F(MeshIo, EveryTruncationOfABinaryPlyIsAnError) {
  const std::string full = binary_ply();
  for (size_t len = 1; len < full.size(); ++len) {
    const std::string msg = parse_error(".ply", full.substr(0, len));
    EXPECT_NE(msg, "") << "truncated to " << len;
  }
}

TEST_F(MeshIo, TruncatedAsciiPlyIsAnError) {
  const std::string full = kAsciiPly;
  const size_t last_line = full.rfind("0 1\r\n");
  for (size_t len = 1; len < last_line; ++len)
    EXPECT_NE(parse_error(".ply", full.substr(0, len)), "") << "truncated to " << len;
  EXPECT_CONTAINS(error_of("t.ply", full.substr(0, last_line)), "the file ends after 0 of 1 'edge' element");
}

TEST_F(MeshIo, PlyErrorsNameTheFileLineAndProblem) {
  const std::string path = temp_path("e.ply");
  const std::string head = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
                           "element face 1\nproperty list uchar int vertex_indices\nend_header\n";
  EXPECT_EQ(error_of("e.ply", head + "0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n"),
            "cannot load mesh " + path + ": line 13: face 0: vertex index 3 is out of range (the file has 3 vertices)");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 zero 0\n0 1 0\n3 0 1 2\n"), "line 11: vertex 1: 'zero' is not a valid float");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0\n0 1 0\n3 0 1 -2\n"), "line 13: face 0: vertex index -2 is out of range");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0 4\n0 1 0\n3 0 1 2\n"), "line 11: vertex 1: more values than");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0\n0 1 0\n3 0 1 2\n"), "line 11: vertex 1: too few values");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0\n0 1 0\n3 0 1\n"), "has fewer than the 3 items");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0\n0 1 0\n2 0 1\n"), "a face with 2 vertices");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n5 5 5\n"), "line 14: data after the last element");
  EXPECT_CONTAINS(error_of("e.ply", head + "0 0 0\n1 0 0\nnan 1 0\n3 0 1 2\n"), "vertex 2: a coordinate is not a finite float");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat binary_big_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n"),
              "binary big-endian PLY is not supported");
  EXPECT_CONTAINS(error_of("e.ply", "solid stl\n"), "not a PLY file");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"), "no end_header");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float q x\nend_header\n"),
              "line 4: a property must be 'property TYPE NAME'");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n"),
              "the vertices lack x, y or z");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty floot x\nend_header\n"),
              "line 4: unknown property type 'floot'");
  // Counts that the file cannot hold are refused before anything is allocated for them.
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n"
                                "property float y\nproperty float z\nend_header\n0123456789ab"),
              "the header declares 4000000000 'vertex' elements but the file is only");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                                "property float z\nelement face 999999999999\nproperty list uchar int vertex_indices\n"
                                "end_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"),
              "the header declares 999999999999 'face' elements");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
                                "property float y\nproperty float z\nelement face 1\n"
                                "property list uint int vertex_indices\nend_header\n" +
                                    std::string(12, '\0') + Bin().put<uint32_t>(4000000000u).str()),
              "the file ends inside face 0 of 1");
  EXPECT_CONTAINS(error_of("e.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
                                "property float y\nproperty float z\nend_header\n" + std::string(13, '\0')),
              "1 byte after the last element");
}

TEST_F(MeshIo, ObjWithQuadsNegativeIndicesAndEveryCornerForm) {
  const Mesh m = load_text("q.obj",
                           "# a unit square, a quad and a pentagon\n"
                           "mtllib none.mtl\no thing\ng group\ns off\n"
                           "v 0 0 0\nv 1 0 0 1.0\nv 1 1 0 0.5 0.5 0.5\nv 0 1 0\n"
                           "vt 0 0\nvt 1 0\nvn 0 0 1\n"
                           "usemtl stuff\n"
                           "f 1/1/1 2/2/1 3/1/1 4/2/1\n"  // v/vt/vn quad
                           "f -4//1 -2//1 -1//1  # v//vn, relative\n"
                           "v 2 0 0\r\n"
                           "f 2/1 5/2 3/1\n"  // v/vt
                           "f -1 -4 \\\n -3 -2 -5\n"  // continued line, pentagon, relative
                           "l 1 2\n");
  EXPECT_EQ(m.vertex_count(), 5u);
  EXPECT_EQ(m.triangles, (std::vector<uint32_t>{0, 1, 2, 0, 2, 3,  //
                                                0, 2, 3,           //
                                                1, 4, 2,           //
                                                4, 1, 2, 4, 2, 3, 4, 3, 0}));
}

TEST_F(MeshIo, ObjForwardReferencesAreAllowedWhenTheVertexExists) {
  const Mesh m = load_text("f.obj", "f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n");
  EXPECT_EQ(m.triangles, (std::vector<uint32_t>{0, 1, 2}));
}

TEST_F(MeshIo, ObjErrors) {
  const std::string path = temp_path("e.obj");
  const std::string v = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
  EXPECT_EQ(error_of("e.obj", v + "f 1 2 4\n"),
            "cannot load mesh " + path + ": line 4: vertex index 4 is out of range (the file has 3 vertices)");
  EXPECT_CONTAINS(error_of("e.obj", v + "f -1 -2 -4\n"), "line 4: relative vertex index -4 goes before the first vertex");
  EXPECT_CONTAINS(error_of("e.obj", v + "f 0 1 2\n"), "line 4: vertex index 0");
  EXPECT_CONTAINS(error_of("e.obj", v + "f 1 2\n"), "line 4: a face needs at least 3 vertices");
  EXPECT_CONTAINS(error_of("e.obj", v + "f 1 2 x\n"), "line 4: 'x' is not a face corner");
  EXPECT_CONTAINS(error_of("e.obj", v + "f 1 2 3/a\n"), "line 4: '3/a' is not a face corner");
  EXPECT_CONTAINS(error_of("e.obj", "v 0 0\n"), "line 1: a vertex needs three coordinates");
  EXPECT_CONTAINS(error_of("e.obj", "v 0 0 1e99\n"), "line 1: '1e99' is not a finite number");
  EXPECT_CONTAINS(error_of("e.obj", v), "the file has no faces");
  EXPECT_CONTAINS(error_of("e.obj", "# nothing\n"), "the file has no vertices and no faces");
}

const char kOff[] =
    "# leading comment\n"
    "COFF\n"
    "# counts follow\n"
    "5 3 0\n"
    "0 0 0 255 0 0 255\n"
    "1 0 0 255 0 0 255  # a comment after a vertex\n"
    "1 1 0 255 0 0 255\n"
    "\n"
    "0 1 0 255 0 0 255\n"
    "0.5 0.5 1 255 0 0 255\n"
    "4 0 1 2 3 0.5 0.5 0.5\n"
    "3 0 1 4\n"
    "3 1 2 4\n";

TEST_F(MeshIo, OffWithCommentsColoursAndPolygons) {
  const Mesh m = load_text("s.off", kOff);
  EXPECT_EQ(m.vertex_count(), 5u);
  EXPECT_FLOAT_EQ(m.vertices[14], 1.0f);
  EXPECT_EQ(m.triangles, (std::vector<uint32_t>{0, 1, 2, 0, 2, 3, 0, 1, 4, 1, 2, 4}));
  // The header glued to the counts, as in some ModelNet files.
  const Mesh glued = load_text("g.off", "OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n");
  EXPECT_EQ(glued.triangles, (std::vector<uint32_t>{0, 1, 2}));
}

TEST_F(MeshIo, OffErrorsAndTruncations) {
  const std::string full = kOff;
  const size_t last_line = full.rfind("3 1 2 4");
  for (size_t len = 1; len < last_line; ++len)
    EXPECT_NE(parse_error(".off", full.substr(0, len)), "") << "truncated to " << len;
  EXPECT_CONTAINS(error_of("t.off", full.substr(0, last_line)), "the file ends after 2 of 3 faces");
  const std::string path = temp_path("e.off");
  EXPECT_EQ(error_of("e.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n"),
            "cannot load mesh " + path + ": line 6: vertex index 3 is out of range (the file has 3 vertices)");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n"), "line 7: data after the last face");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n3 1 0\n0 0 0\n1 O 0\n0 1 0\n3 0 1 2\n"), "line 4: 'O' is not a finite number");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n3 x 0\n"), "line 2: expected the counts");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n100000000 100000000 0\n0 0 0\n"), "do not fit in a file of");
  EXPECT_CONTAINS(error_of("e.off", "4OFF\n1 0 0\n0 0 0 0\n"), "only 3-D OFF files are supported");
  EXPECT_CONTAINS(error_of("e.off", "OFF BINARY\n"), "binary OFF files are not supported");
  EXPECT_CONTAINS(error_of("e.off", "PLY\n"), "not an OFF file");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n"), "line 6: a face needs at least 3 vertices");
  EXPECT_CONTAINS(error_of("e.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n"), "the face announces 4 vertices but lists 3");
}

TEST_F(MeshIo, MissingFilesAndUnknownFormats) {
  EXPECT_THROWS_WITH(load_mesh(temp_path("none.ply")), "cannot load mesh " + temp_path("none.ply") + ": no such file");
  EXPECT_THROWS_WITH(load_mesh(temp_path("x.stl")), "unsupported mesh format '.stl' (use .ply, .obj or .off)");
  EXPECT_THROWS_WITH(load_mesh(temp_path("noext")), "unsupported mesh format (no extension)");
  std::filesystem::create_directories(temp_path("dir.obj"));
  EXPECT_THROWS_WITH(load_mesh(temp_path("dir.obj")), "it is a directory");
}

}  // namespace
}  // namespace siren::io
