#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace siren::io {

// Oriented points: positions and unit normals.
struct PointCloud {
  std::vector<float> points;   // size() x 3
  std::vector<float> normals;  // size() x 3, unit length
  // True when the points were sampled from a mesh's faces rather than read.
  bool sampled_from_mesh = false;
  // Points of the file dropped because their normal was zero (their orientation is unknown).
  size_t dropped_zero_normals = 0;

  size_t size() const { return points.size() / 3; }
};

struct PointCloudLoadOptions {
  // Points sampled uniformly by area (with face normals) when the file is a mesh.
  size_t mesh_samples = 1'000'000;
  uint64_t seed = 0;
};

// Reads oriented points by the file's extension (case-insensitive):
//  .xyz  one point per line, "x y z nx ny nz" separated by blanks; '#' comments and blank lines allowed.
//  .ply  (ASCII or binary little-endian) with faces: sampled like a mesh; without faces: the vertices,
//        which must have nx ny nz (any numeric types; other properties skipped).
//  .obj, .off: a mesh (see load_mesh), sampled.
// Normals are normalised; points whose normal is zero are dropped and counted. A file without normals
// (and without faces) is refused: fitting an SDF needs oriented points. Every problem throws
// siren::Error("cannot load point cloud PATH: [line N: ]what is wrong").
PointCloud load_point_cloud(const std::string& path, const PointCloudLoadOptions& options = {});

// Writes "x y z nx ny nz" lines (.xyz, shortest text that reads back as the same floats) or a binary
// little-endian .ply with float x y z nx ny nz, by extension; atomically. Throws siren::Error
// ("cannot write PATH: ...") for another extension, mismatched sizes or a failed write.
void save_point_cloud(const std::string& path, const PointCloud& cloud);

// The same as save_point_cloud for a .xyz path (the extension is not checked).
void save_point_cloud_xyz(const std::string& path, const PointCloud& cloud);

}  // namespace siren::io
