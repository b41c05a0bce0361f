#include "core/io/mesh.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "core/io/mesh_parse.h"
#include "core/io/ply_format.h"
#include "core/io/text_scan.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace siren::io {

namespace {

using detail::LineReader;
using detail::parse_finite_float;
using detail::parse_integer;
using detail::quoted;
using detail::Tokens;

[[noreturn]] void line_error(const std::string& fail, size_t line, const std::string& what) {
  throw Error(fail + "line " + std::to_string(line) + ": " + what);
}

std::string vertices(uint64_t n) { return std::to_string(n) + (n == 1 ? " vertex" : " vertices"); }

void fan(const std::vector<uint32_t>& polygon, std::vector<uint32_t>& triangles) {
  for (size_t i = 1; i + 1 < polygon.size(); ++i) {
    triangles.push_back(polygon[0]);
    triangles.push_back(polygon[i]);
    triangles.push_back(polygon[i + 1]);
  }
}

// The vertex index of an OBJ face corner "v", "v/vt", "v/vt/vn" or "v//vn" (the other indices are checked
// for form only).
bool obj_vertex_index(std::string_view tok, int64_t& v) {
  const size_t slash = tok.find('/');
  if (!parse_integer(tok.substr(0, slash), v)) return false;
  if (slash == std::string_view::npos) return true;
  std::string_view rest = tok.substr(slash + 1);
  const size_t slash2 = rest.find('/');
  int64_t other;
  const std::string_view vt = rest.substr(0, slash2);
  if (slash2 == std::string_view::npos) return parse_integer(vt, other);  // v/vt
  const std::string_view vn = rest.substr(slash2 + 1);
  return (vt.empty() || parse_integer(vt, other)) && parse_integer(vn, other);
}

Mesh parse_obj(const std::vector<unsigned char>& bytes, const std::string& fail) {
  Mesh mesh;
  LineReader lines(bytes.data(), bytes.size());
  std::string_view line, tok;
  std::string joined;  // a line continued with '\' at its end
  std::vector<uint32_t> polygon;
  // Positive indices may refer to vertices defined further down; the largest such is checked at the end.
  int64_t forward_index = 0;
  size_t forward_line = 0;
  while (lines.next(line)) {
    const size_t n = lines.number();
    line = detail::strip_comment(line);
    if (!line.empty() && line.back() == '\\') {
      joined.assign(line.substr(0, line.size() - 1));
      std::string_view more;
      while (lines.next(more)) {
        more = detail::strip_comment(more);
        const bool again = !more.empty() && more.back() == '\\';
        joined += ' ';
        joined.append(more.substr(0, more.size() - (again ? 1 : 0)));
        if (!again) break;
      }
      line = joined;
    }
    Tokens tokens(line);
    std::string_view key;
    if (!tokens.next(key)) continue;
    if (key == "v") {
      float xyz[3];
      for (float& c : xyz) {
        if (!tokens.next(tok)) line_error(fail, n, "a vertex needs three coordinates");
        if (!parse_finite_float(tok, c)) line_error(fail, n, quoted(tok) + " is not a finite number");
      }
      if (mesh.vertices.size() / 3 >= std::numeric_limits<uint32_t>::max())
        line_error(fail, n, "more vertices than 32-bit indices can address");
      mesh.vertices.insert(mesh.vertices.end(), xyz, xyz + 3);
    } else if (key == "f") {
      polygon.clear();
      const int64_t count = int64_t(mesh.vertices.size() / 3);
      while (tokens.next(tok)) {
        int64_t v;
        if (!obj_vertex_index(tok, v)) line_error(fail, n, quoted(tok) + " is not a face corner (v, v/vt, v/vt/vn or v//vn)");
        if (v == 0) line_error(fail, n, "vertex index 0 (OBJ indices start at 1)");
        if (v < 0) {
          if (-v > count)
            line_error(fail, n, "relative vertex index " + std::to_string(v) + " goes before the first vertex (" +
                                    std::to_string(count) + " defined so far)");
          v = count + v;
        } else {
          if (v > int64_t(std::numeric_limits<uint32_t>::max()))
            line_error(fail, n, "vertex index " + std::to_string(v) + " is out of range");
          if (v > count && v > forward_index) {
            forward_index = v;
            forward_line = n;
          }
          v -= 1;
        }
        polygon.push_back(uint32_t(v));
      }
      if (polygon.size() < 3)
        line_error(fail, n, "a face needs at least 3 vertices (it has " + std::to_string(polygon.size()) + ")");
      fan(polygon, mesh.triangles);
    }
    // Everything else (vt, vn, vp, g, o, s, usemtl, mtllib, l, p, curves...) has no bearing on the shape.
  }
  if (forward_index > int64_t(mesh.vertex_count()))
    line_error(fail, forward_line, "vertex index " + std::to_string(forward_index) + " is out of range (the file has " +
                                       vertices(mesh.vertex_count()) + ")");
  return mesh;
}

Mesh parse_off(const std::vector<unsigned char>& bytes, const std::string& fail) {
  LineReader lines(bytes.data(), bytes.size());
  std::string_view line, tok;
  // The next line with something on it other than a comment.
  auto next_content = [&](std::string_view& out) {
    while (lines.next(out)) {
      out = detail::strip_comment(out);
      if (!Tokens(out).done()) return true;
    }
    return false;
  };
  if (!next_content(line)) throw Error(fail + "the file has no OFF header");
  Tokens header(line);
  std::string_view key;
  header.next(key);
  // [ST][C][N][4][n]OFF, possibly followed by the counts on the same line (or, as in some ModelNet files,
  // glued to them: "OFF490 518 0").
  const size_t off = key.find("OFF");
  const std::string_view prefix = off == std::string_view::npos ? key : key.substr(0, off);
  if (off == std::string_view::npos || prefix.find_first_not_of("STCN4n") != std::string_view::npos)
    throw Error(fail + "not an OFF file (the first line is not 'OFF')");
  if (prefix.find('4') != std::string_view::npos || prefix.find('n') != std::string_view::npos)
    throw Error(fail + "only 3-D OFF files are supported, not " + quoted(key.substr(0, off + 3)));
  std::string_view rest = line.substr(size_t(key.data() - line.data()) + off + 3);
  Tokens rest_tokens(rest);
  std::string_view first_rest;
  if (rest_tokens.next(first_rest) && first_rest == "BINARY") throw Error(fail + "binary OFF files are not supported");
  size_t counts_line = lines.number();
  if (Tokens(rest).done()) {
    if (!next_content(rest)) throw Error(fail + "the file ends before the vertex and face counts");
    counts_line = lines.number();
  }
  Tokens counts(rest);
  int64_t nv = -1, nf = -1, ne = 0;
  std::string_view t_v, t_f, t_e;
  if (!counts.next(t_v) || !counts.next(t_f) || !parse_integer(t_v, nv) || !parse_integer(t_f, nf) || nv < 0 ||
      nf < 0 || (counts.next(t_e) && !parse_integer(t_e, ne)) || !counts.done())
    line_error(fail, counts_line, "expected the counts 'VERTICES FACES EDGES'");
  // A vertex line holds at least 3 numbers and 3 separators, a face line at least a number and a separator.
  const uint64_t room = lines.remaining() + 1;
  if (uint64_t(nv) > room / 6 || uint64_t(nf) > (room - uint64_t(nv) * 6) / 2)
    line_error(fail, counts_line, "the counts (" + std::to_string(nv) + " vertices, " + std::to_string(nf) +
                                      " faces) do not fit in a file of " + std::to_string(bytes.size()) +
                                      " bytes (truncated or corrupt?)");
  Mesh mesh;
  mesh.vertices.reserve(size_t(nv) * 3);
  for (int64_t i = 0; i < nv; ++i) {
    if (!next_content(line))
      throw Error(fail + "the file ends after " + std::to_string(i) + " of " + std::to_string(nv) +
                  " vertices (is it truncated?)");
    Tokens tokens(line);
    for (int c = 0; c < 3; ++c) {
      float v;
      if (!tokens.next(tok)) line_error(fail, lines.number(), "a vertex needs three coordinates");
      if (!parse_finite_float(tok, v)) line_error(fail, lines.number(), quoted(tok) + " is not a finite number");
      mesh.vertices.push_back(v);
    }
    // Colours, normals or texture coordinates may follow (COFF, NOFF, STOFF): not needed.
  }
  std::vector<uint32_t> polygon;
  for (int64_t f = 0; f < nf; ++f) {
    if (!next_content(line))
      throw Error(fail + "the file ends after " + std::to_string(f) + " of " + std::to_string(nf) +
                  " faces (is it truncated?)");
    const size_t n = lines.number();
    Tokens tokens(line);
    int64_t k = 0;
    tokens.next(tok);
    if (!parse_integer(tok, k) || k < 0) line_error(fail, n, quoted(tok) + " is not a face's vertex count");
    if (k < 3) line_error(fail, n, "a face needs at least 3 vertices (it has " + std::to_string(k) + ")");
    polygon.clear();
    for (int64_t i = 0; i < k; ++i) {
      int64_t v;
      if (!tokens.next(tok))
        line_error(fail, n, "the face announces " + std::to_string(k) + " vertices but lists " + std::to_string(i));
      if (!parse_integer(tok, v)) line_error(fail, n, quoted(tok) + " is not a vertex index");
      if (v < 0 || v >= nv)
        line_error(fail, n, "vertex index " + std::to_string(v) + " is out of range (the file has " +
                                vertices(uint64_t(nv)) + ")");
      polygon.push_back(uint32_t(v));
    }
    // A colour may follow.
    fan(polygon, mesh.triangles);
  }
  if (next_content(line))
    line_error(fail, lines.number(), "data after the last face (the counts do not match the file)");
  return mesh;
}

}  // namespace

Mesh load_mesh(const std::string& path) {
  const std::string what = "cannot load mesh " + path, fail = what + ": ";
  const std::string ext = detail::lower_extension(path);
  if (ext != ".ply" && ext != ".obj" && ext != ".off")
    throw Error(fail + "unsupported mesh format " + (ext.empty() ? "(no extension)" : quoted(ext)) +
                " (use .ply, .obj or .off)");
  return detail::parse_mesh(read_file_bytes(path, what, kMaxGeometryFileBytes, "a mesh file"), ext, fail);
}

namespace detail {

Mesh parse_mesh(const std::vector<unsigned char>& bytes, const std::string& ext, const std::string& fail) {
  Mesh mesh;
  if (ext == ".ply") {
    detail::PlyContents ply = detail::parse_ply(bytes, fail);
    mesh.vertices = std::move(ply.xyz);
    mesh.triangles = std::move(ply.triangles);
  } else if (ext == ".obj") {
    mesh = parse_obj(bytes, fail);
  } else {
    mesh = parse_off(bytes, fail);
  }
  if (mesh.triangles.empty())
    throw Error(fail + (mesh.vertices.empty() ? "the file has no vertices and no faces" : "the file has no faces"));
  return mesh;
}

}  // namespace detail

namespace {

void check_mesh_for_writing(const Mesh& mesh, const std::string& fail) {
  if (mesh.vertices.size() % 3 || mesh.triangles.size() % 3)
    throw Error(fail + "the vertex and triangle arrays must hold triples");
  const size_t nv = mesh.vertex_count();
  if (nv > size_t(std::numeric_limits<int32_t>::max())) throw Error(fail + "too many vertices for a PLY file");
  for (size_t i = 0; i < mesh.vertices.size(); ++i)
    if (!std::isfinite(mesh.vertices[i])) throw Error(fail + "vertex " + std::to_string(i / 3) + " is not finite");
  for (size_t i = 0; i < mesh.triangles.size(); ++i)
    if (mesh.triangles[i] >= nv)
      throw Error(fail + "triangle " + std::to_string(i / 3) + " refers to vertex " + std::to_string(mesh.triangles[i]) +
                  " of " + std::to_string(nv));
}

}  // namespace

void save_mesh(const std::string& path, const Mesh& mesh) {
  const std::string fail = "cannot write " + path + ": ";
  const std::string ext = detail::lower_extension(path);
  if (ext != ".ply" && ext != ".obj")
    throw Error(fail + "unsupported mesh format " + (ext.empty() ? "(no extension)" : quoted(ext)) + " (use .ply or .obj)");
  check_mesh_for_writing(mesh, fail);
  std::string out;
  if (ext == ".ply") {
    out = detail::ply_bytes(mesh.vertices, nullptr, &mesh.triangles);
  } else {
    out.reserve(mesh.vertices.size() * 12 + mesh.triangles.size() * 8 + 64);
    out += "# written by SIREN Studio\n";
    for (size_t i = 0; i < mesh.vertices.size(); i += 3) {
      out += "v";
      for (int c = 0; c < 3; ++c) {
        out += ' ';
        detail::append_number(out, mesh.vertices[i + size_t(c)]);
      }
      out += '\n';
    }
    for (size_t i = 0; i < mesh.triangles.size(); i += 3) {
      out += "f";
      for (int c = 0; c < 3; ++c) {
        out += ' ';
        detail::append_number(out, uint64_t(mesh.triangles[i + size_t(c)]) + 1);
      }
      out += '\n';
    }
  }
  write_file_atomically(path, {out});
}

}  // namespace siren::io
