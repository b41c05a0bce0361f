#pragma once
// Internal to core/io (mesh.cpp and point_cloud.cpp): the PLY reader and writer.
#include <cstdint>
#include <string>
#include <vector>

namespace siren::io::detail {

struct PlyContents {
  std::vector<float> xyz;           // vertex count x 3
  std::vector<float> normals;       // vertex count x 3 as stored, or empty when the vertices lack nx ny nz
  bool has_faces = false;           // the file has a face element with at least one face
  std::vector<uint32_t> triangles;  // the faces, fanned into triangles
};

// Parses a whole PLY file (ASCII or binary little-endian). Every problem throws
// siren::Error(fail + "[line N: ]what is wrong"), `fail` being e.g. "cannot load mesh PATH: ".
PlyContents parse_ply(const std::vector<unsigned char>& bytes, const std::string& fail);

// A binary little-endian PLY file: float x y z [nx ny nz] vertices and, when `triangles` is non-null,
// a face element (list uchar int vertex_indices). The caller has checked sizes and indices.
std::string ply_bytes(const std::vector<float>& xyz, const std::vector<float>* normals,
                      const std::vector<uint32_t>* triangles);

}  // namespace siren::io::detail
