#include "core/io/point_cloud.h"

#include <cmath>
#include <string_view>

#include "core/geometry/sampling.h"
#include "core/io/mesh.h"
#include "core/io/mesh_parse.h"
#include "core/io/ply_format.h"
#include "core/io/text_scan.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace siren::io {

namespace {

const char kNeedsNormals[] =
    "fitting an SDF needs oriented points: give every point its normal (x y z nx ny nz), for example with "
    "MeshLab's \"Compute normals for point sets\", or give a mesh (.ply with faces, .obj, .off)";

// Appends the point if its normal can be normalised; returns false (and appends nothing) for a zero normal.
bool add_point(PointCloud& cloud, const float p[3], const float n[3]) {
  const double len = std::sqrt(double(n[0]) * n[0] + double(n[1]) * n[1] + double(n[2]) * n[2]);
  if (!(len > 0)) {
    ++cloud.dropped_zero_normals;
    return false;
  }
  cloud.points.insert(cloud.points.end(), p, p + 3);
  if (std::abs(len - 1) <= 1e-6)  // unit to float precision: kept as written, so files round-trip exactly
    cloud.normals.insert(cloud.normals.end(), n, n + 3);
  else
    for (int c = 0; c < 3; ++c) cloud.normals.push_back(float(n[c] / len));
  return true;
}

PointCloud parse_xyz(const std::vector<unsigned char>& bytes, const std::string& fail) {
  PointCloud cloud;
  // A line holds at least 6 numbers and 6 separators: reserve no more than the file can hold.
  cloud.points.reserve(bytes.size() / 12 * 3);
  cloud.normals.reserve(bytes.size() / 12 * 3);
  detail::LineReader lines(bytes.data(), bytes.size());
  std::string_view line, tok;
  while (lines.next(line)) {
    line = detail::strip_comment(line);
    detail::Tokens tokens(line);
    const size_t count = tokens.count();
    if (count == 0) continue;
    const std::string at = fail + "line " + std::to_string(lines.number()) + ": ";
    if (count == 3)
      throw Error(at + "the point has no normal (3 numbers: x y z); the cloud has no normals, and " + kNeedsNormals);
    if (count != 6) throw Error(at + "expected 6 numbers (x y z nx ny nz), found " + std::to_string(count));
    float v[6];
    for (float& x : v) {
      tokens.next(tok);
      if (!detail::parse_finite_float(tok, x)) throw Error(at + detail::quoted(tok) + " is not a finite number");
    }
    add_point(cloud, v, v + 3);
  }
  return cloud;
}

}  // namespace

PointCloud load_point_cloud(const std::string& path, const PointCloudLoadOptions& options) {
  const std::string what = "cannot load point cloud " + path, fail = what + ": ";
  const std::string ext = detail::lower_extension(path);
  if (ext != ".xyz" && ext != ".ply" && ext != ".obj" && ext != ".off")
    throw Error(fail + "unsupported point cloud format " + (ext.empty() ? "(no extension)" : detail::quoted(ext)) +
                " (use .xyz with normals, .ply, .obj or .off)");
  const std::vector<unsigned char> bytes = read_file_bytes(path, what, kMaxGeometryFileBytes, "a point cloud file");
  return detail::parse_point_cloud(bytes, ext, fail, options);
}

namespace detail {

PointCloud parse_point_cloud(const std::vector<unsigned char>& bytes, const std::string& ext, const std::string& fail,
                             const PointCloudLoadOptions& options) {
  auto sample = [&](const Mesh& mesh) {
    try {
      return geometry::sample_surface(mesh, options.mesh_samples, options.seed);
    } catch (const Error& e) {
      throw Error(fail + e.what());
    }
  };
  PointCloud cloud;
  if (ext == ".obj" || ext == ".off") {
    cloud = sample(parse_mesh(bytes, ext, fail));
  } else if (ext == ".xyz") {
    cloud = parse_xyz(bytes, fail);
  } else {
    PlyContents ply = parse_ply(bytes, fail);
    if (ply.has_faces) {
      Mesh mesh;
      mesh.vertices = std::move(ply.xyz);
      mesh.triangles = std::move(ply.triangles);
      cloud = sample(mesh);
    } else {
      if (ply.xyz.empty()) throw Error(fail + "the file has no vertices");
      if (ply.normals.empty())
        throw Error(fail + "the vertices have no normals (nx ny nz) and there are no faces; " + kNeedsNormals);
      for (size_t i = 0; i < ply.xyz.size(); i += 3) add_point(cloud, &ply.xyz[i], &ply.normals[i]);
    }
  }
  if (cloud.size() == 0)
    throw Error(fail + (cloud.dropped_zero_normals ? "every point has a zero normal" : "the file has no points"));
  return cloud;
}

}  // namespace detail

namespace {

void check_cloud(const PointCloud& cloud, const std::string& fail) {
  if (cloud.points.size() % 3 || cloud.normals.size() != cloud.points.size())
    throw Error(fail + "the points and normals must be triples, as many of each");
}

}  // namespace

void save_point_cloud_xyz(const std::string& path, const PointCloud& cloud) {
  check_cloud(cloud, "cannot write " + path + ": ");
  std::string out;
  out.reserve(cloud.points.size() * 24);
  for (size_t i = 0; i < cloud.points.size(); i += 3) {
    for (int c = 0; c < 6; ++c) {
      if (c) out += ' ';
      detail::append_number(out, c < 3 ? cloud.points[i + size_t(c)] : cloud.normals[i + size_t(c - 3)]);
    }
    out += '\n';
  }
  write_file_atomically(path, {out});
}

void save_point_cloud(const std::string& path, const PointCloud& cloud) {
  const std::string fail = "cannot write " + path + ": ";
  const std::string ext = detail::lower_extension(path);
  if (ext == ".xyz") return save_point_cloud_xyz(path, cloud);
  if (ext != ".ply")
    throw Error(fail + "unsupported point cloud format " + (ext.empty() ? "(no extension)" : detail::quoted(ext)) +
                " (use .xyz or .ply)");
  check_cloud(cloud, fail);
  if (cloud.size() > uint64_t(UINT32_MAX)) throw Error(fail + "too many points for one file");
  write_file_atomically(path, {detail::ply_bytes(cloud.points, &cloud.normals, nullptr)});
}

}  // namespace siren::io
