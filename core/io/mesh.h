#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace siren::io {

// A triangle mesh: vertex positions and triangles as triples of vertex indices, counter-clockwise seen
// from outside (the right-hand normal (v1 - v0) x (v2 - v0) points out of the solid).
struct Mesh {
  std::vector<float> vertices;      // vertex_count() x 3: x y z
  std::vector<uint32_t> triangles;  // triangle_count() x 3

  size_t vertex_count() const { return vertices.size() / 3; }
  size_t triangle_count() const { return triangles.size() / 3; }
};

// The largest file load_mesh and load_point_cloud read (it is read whole).
constexpr uint64_t kMaxGeometryFileBytes = uint64_t(2) << 30;

// Reads a mesh by the file's extension (case-insensitive):
//  .ply  ASCII or binary little-endian; a "vertex" element with x y z (float, double or any integer
//        type, other properties skipped) and a "face" element with a list "vertex_indices" (or
//        "vertex_index") of any integer types; other elements and properties are skipped.
//  .obj  "v x y z" and "f" lines (v, v/vt, v/vt/vn, v//vn; negative indices count back from the last
//        vertex so far); everything else (vt, vn, g, o, s, usemtl, l, ...) is ignored.
//  .off  OFF (also COFF, NOFF, CNOFF, STOFF...), '#' comments, the counts line, vertices (extra values
//        such as colours ignored), faces as "n i1 ... in" with 0-based indices (a colour may follow).
// Polygons are triangulated as fans (v0, vi, vi+1). The mesh must have at least one face. Any malformed
// input throws siren::Error("cannot load mesh PATH: [line N: ]what is wrong"); header counts are checked
// against the file's size before anything is allocated for them.
Mesh load_mesh(const std::string& path);

// Writes `mesh` as binary little-endian .ply (float x y z; list uchar int vertex_indices) or as .obj
// (shortest text that reads back as the same floats), chosen by the extension; written to a temporary
// file and renamed. Throws siren::Error("cannot write PATH: ...") for another extension, an index out of
// range, a non-finite coordinate or a failed write.
void save_mesh(const std::string& path, const Mesh& mesh);

}  // namespace siren::io
