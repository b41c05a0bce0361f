#include "core/geometry/marching_cubes.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/util/error.h"

namespace siren::geometry {

// The case table is generated here from first principles rather than typed in:
// - corner k of a cube is at (k & 1, (k >> 1) & 1, (k >> 2) & 1); edge e < 4 is along x, 4 <= e < 8 along y,
//   e >= 8 along z (see cube());
// - on each face, seen from outside with its corners counter-clockwise, every run of inside corners is cut
//   off by a segment from the edge where the boundary enters the run to the edge where it leaves it; a face
//   whose corners alternate gets two segments, around its two inside corners ("separated") or around its two
//   outside corners ("joined"), as the runtime decides for that face;
// - every crossed cube edge then has exactly one segment leaving it (on one of its two faces) and one arriving
//   (on the other), so the segments form closed loops, oriented with the inside on their right seen from
//   outside the cube, i.e. counter-clockwise seen from the outside (positive) side of the surface;
// - each loop is triangulated as a fan. A fan diagonal joining two vertices that lie on a common face with four
//   crossings could coincide with one of the neighbouring cube's, which would put an edge in four triangles;
//   the fan's apex is chosen to avoid such diagonals, and a loop where no apex avoids them gets a vertex at
//   its centre instead (a vertex of that cube alone).
// Because both cubes sharing a face cut it with the same segments, the surface has no cracks.

namespace {

constexpr int kMaxTriangles = 12;
constexpr int kMaxCenters = 4;
constexpr int kCenterBase = 12;  // triangle corners >= 12 are centre vertices

struct Cube {
  int edge_corner[12][2];
  int face_corner[6][4];  // counter-clockwise seen from outside the cube
  int face_edge[6][4];    // face_edge[f][m] joins face_corner[f][m] and face_corner[f][(m + 1) % 4]
};

const Cube& cube() {
  static const Cube cube_geometry = [] {
    Cube c{};
    for (int e = 0; e < 12; ++e) {
      const int axis = e / 4, m = e % 4;
      int k = 0;
      if (axis == 0) k = (m & 1) * 2 + (m >> 1) * 4;  // x edge at (dy, dz)
      if (axis == 1) k = (m & 1) + (m >> 1) * 4;      // y edge at (dx, dz)
      if (axis == 2) k = (m & 1) + (m >> 1) * 2;      // z edge at (dx, dy)
      c.edge_corner[e][0] = k;
      c.edge_corner[e][1] = k + (1 << axis);
    }
    for (int f = 0; f < 6; ++f) {
      const int a = f / 2, side = f % 2, u = (a + 1) % 3, v = (a + 2) % 3;
      // Counter-clockwise around +e_a in the (u, v) plane ((a, u, v) is a cyclic permutation of (x, y, z));
      // reversed for the face whose outward normal is -e_a.
      static const int ccw[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
      for (int m = 0; m < 4; ++m) {
        const int* uv = ccw[side ? m : (4 - m) % 4];
        c.face_corner[f][m] = (side << a) | (uv[0] << u) | (uv[1] << v);
      }
      for (int m = 0; m < 4; ++m) {
        const int p = c.face_corner[f][m], q = c.face_corner[f][(m + 1) % 4];
        for (int e = 0; e < 12; ++e)
          if ((c.edge_corner[e][0] == p && c.edge_corner[e][1] == q) ||
              (c.edge_corner[e][0] == q && c.edge_corner[e][1] == p))
            c.face_edge[f][m] = e;
      }
    }
    return c;
  }();
  return cube_geometry;
}

struct CaseEntry {
  uint8_t triangle_count = 0;
  uint8_t center_count = 0;
  int8_t triangles[kMaxTriangles][3] = {};
  uint16_t center_edges[kMaxCenters] = {};  // the edges whose vertices each centre averages
};

struct Tables {
  uint8_t ambiguous[256] = {};  // faces whose corners alternate in sign, one bit per face
  std::vector<CaseEntry> cases;  // [config * 64 + joined faces]
  int center_loops = 0;          // loops that needed a centre vertex (140, all in cases with ambiguous faces)
};

bool inside(int config, int corner) { return (config >> corner) & 1; }

int face_crossings(int config, int f) {
  const Cube& c = cube();
  int n = 0;
  for (int m = 0; m < 4; ++m) n += inside(config, c.face_corner[f][m]) != inside(config, c.face_corner[f][(m + 1) % 4]);
  return n;
}

CaseEntry make_case(int config, int joined, int& center_loops) {
  const Cube& c = cube();
  int next[12], prev_count[12] = {};
  for (int& n : next) n = -1;
  uint16_t on_ambiguous_face[12] = {};  // per edge: the ambiguous faces it lies on
  for (int f = 0; f < 6; ++f) {
    const int* q = c.face_corner[f];
    const int* e = c.face_edge[f];
    const int crossings = face_crossings(config, f);
    for (int m = 0; m < 4; ++m) {
      const bool enters = !inside(config, q[m]) && inside(config, q[(m + 1) % 4]);
      if (crossings == 4) on_ambiguous_face[e[m]] |= uint16_t(1 << f);
      if (!enters) continue;
      int to = -1;
      if (crossings == 2) {
        for (int l = 0; l < 4; ++l)
          if (inside(config, q[l]) && !inside(config, q[(l + 1) % 4])) to = e[l];
      } else {
        to = ((joined >> f) & 1) ? e[(m + 3) % 4] : e[(m + 1) % 4];
      }
      next[e[m]] = to;
      ++prev_count[to];
    }
  }
  CaseEntry entry;
  bool used[12] = {};
  for (int start = 0; start < 12; ++start) {
    if (next[start] < 0 || used[start]) continue;
    int loop[12], k = 0;
    for (int e = start; !used[e]; e = next[e]) {
      used[e] = true;
      loop[k++] = e;
    }
    // A fan from apex s adds diagonals (loop[s], loop[j]) for j not next to s.
    int apex = -1;
    for (int s = 0; s < k && apex < 0; ++s) {
      bool ok = true;
      for (int j = 0; j < k && ok; ++j)
        if (j != s && j != (s + 1) % k && j != (s + k - 1) % k && (on_ambiguous_face[loop[s]] & on_ambiguous_face[loop[j]]))
          ok = false;
      if (ok) apex = s;
    }
    if (apex >= 0) {
      for (int i = 1; i + 1 < k; ++i) {
        int8_t* t = entry.triangles[entry.triangle_count++];
        t[0] = int8_t(loop[apex]);
        t[1] = int8_t(loop[(apex + i) % k]);
        t[2] = int8_t(loop[(apex + i + 1) % k]);
      }
    } else {
      ++center_loops;
      const int center = entry.center_count++;
      for (int i = 0; i < k; ++i) {
        entry.center_edges[center] |= uint16_t(1 << loop[i]);
        int8_t* t = entry.triangles[entry.triangle_count++];
        t[0] = int8_t(kCenterBase + center);
        t[1] = int8_t(loop[i]);
        t[2] = int8_t(loop[(i + 1) % k]);
      }
    }
  }
  for (int e = 0; e < 12; ++e)  // every crossed edge has one segment arriving and one leaving
    if ((next[e] >= 0) != (prev_count[e] == 1) || prev_count[e] > 1)
      throw std::logic_error("marching cubes: inconsistent case table for configuration " + std::to_string(config));
  return entry;
}

const Tables& tables() {
  static const Tables generated = [] {
    Tables t;
    t.cases.resize(256 * 64);
    for (int config = 0; config < 256; ++config) {
      for (int f = 0; f < 6; ++f)
        if (face_crossings(config, f) == 4) t.ambiguous[config] |= uint8_t(1 << f);
      for (int joined = 0; joined < 64; ++joined) {
        // Bits for faces that are not ambiguous never occur at run time.
        if (joined & ~t.ambiguous[config]) continue;
        t.cases[size_t(config) * 64 + size_t(joined)] = make_case(config, joined, t.center_loops);
      }
    }
    return t;
  }();
  return generated;
}

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

}  // namespace

double grid_coordinate(const GridBox& box, int axis, int index, int resolution) {
  if (index == resolution - 1) return box.hi[size_t(axis)];
  return box.lo[size_t(axis)] + (box.hi[size_t(axis)] - box.lo[size_t(axis)]) * double(index) / double(resolution - 1);
}

SlabFunction sample_function(int resolution, const GridBox& box, std::function<float(double, double, double)> f) {
  return [resolution, box, f = std::move(f)](int z, std::vector<float>& slab) {
    const double zc = grid_coordinate(box, 2, z, resolution);
    for (int j = 0; j < resolution; ++j) {
      const double y = grid_coordinate(box, 1, j, resolution);
      for (int i = 0; i < resolution; ++i)
        slab[size_t(j) * size_t(resolution) + size_t(i)] = f(grid_coordinate(box, 0, i, resolution), y, zc);
    }
  };
}

namespace {

class Extractor {
 public:
  Extractor(int res, const GridBox& box, float iso) : n_(size_t(res)), res_(res), iso_(iso) {
    for (int a = 0; a < 3; ++a) {
      step_[a] = (box.hi[size_t(a)] - box.lo[size_t(a)]) / double(res - 1);
      coord_[a].resize(n_);
      for (int i = 0; i < res; ++i) coord_[a][size_t(i)] = grid_coordinate(box, a, i, res);
    }
    for (int l = 0; l < 2; ++l) {
      slab_[l].assign(n_ * n_, 0.0f);
      xe_[l].assign((n_ - 1) * n_, kNone);
      ye_[l].assign(n_ * (n_ - 1), kNone);
    }
    ze_.assign(n_ * n_, kNone);
  }

  io::Mesh run(const SlabFunction& field) {
    const Tables& tab = tables();
    fetch(field, 0, slab_[0]);
    layer_vertices(0, slab_[0], xe_[0], ye_[0]);
    for (int z = 0; z + 1 < res_; ++z) {
      fetch(field, z + 1, slab_[1]);
      layer_vertices(z + 1, slab_[1], xe_[1], ye_[1]);
      z_vertices(z);
      cubes(tab);
      std::swap(slab_[0], slab_[1]);
      std::swap(xe_[0], xe_[1]);
      std::swap(ye_[0], ye_[1]);
    }
    return std::move(mesh_);
  }

 private:
  void fetch(const SlabFunction& field, int z, std::vector<float>& slab) {
    field(z, slab);
    if (slab.size() != n_ * n_)
      throw Error("marching cubes: the field callback resized slab " + std::to_string(z) + " to " +
                  std::to_string(slab.size()) + " values (it must hold " + std::to_string(n_ * n_) + ")");
    for (size_t k = 0; k < slab.size(); ++k)
      if (!std::isfinite(slab[k]))
        throw Error("marching cubes: the field is not finite at grid point (" + std::to_string(k % n_) + ", " +
                    std::to_string(k / n_) + ", " + std::to_string(z) + ")");
  }

  bool in(float v) const { return v < iso_; }

  // The vertex on the edge from grid value a (at parameter 0) to b (at 1), which differ in sign.
  uint32_t add_vertex(float a, float b, int axis, const double p0[3]) {
    const double t = (double(iso_) - double(a)) / (double(b) - double(a));
    double p[3] = {p0[0], p0[1], p0[2]};
    p[axis] += t * step_[axis];
    if (mesh_.vertices.size() / 3 >= size_t(kNone))
      throw Error("marching cubes: the mesh has more vertices than 32-bit indices can address");
    for (double c : p) mesh_.vertices.push_back(float(c));
    return uint32_t(mesh_.vertices.size() / 3 - 1);
  }

  void layer_vertices(int z, const std::vector<float>& s, std::vector<uint32_t>& xe, std::vector<uint32_t>& ye) {
    for (size_t j = 0; j < n_; ++j)
      for (size_t i = 0; i < n_; ++i) {
        const float v = s[j * n_ + i];
        const double p[3] = {coord_[0][i], coord_[1][j], coord_[2][size_t(z)]};
        if (i + 1 < n_) {
          const float w = s[j * n_ + i + 1];
          xe[j * (n_ - 1) + i] = in(v) != in(w) ? add_vertex(v, w, 0, p) : kNone;
        }
        if (j + 1 < n_) {
          const float w = s[(j + 1) * n_ + i];
          ye[j * n_ + i] = in(v) != in(w) ? add_vertex(v, w, 1, p) : kNone;
        }
      }
  }

  void z_vertices(int z) {
    const std::vector<float>&s0 = slab_[0], &s1 = slab_[1];
    for (size_t j = 0; j < n_; ++j)
      for (size_t i = 0; i < n_; ++i) {
        const float v = s0[j * n_ + i], w = s1[j * n_ + i];
        const double p[3] = {coord_[0][i], coord_[1][j], coord_[2][size_t(z)]};
        ze_[j * n_ + i] = in(v) != in(w) ? add_vertex(v, w, 2, p) : kNone;
      }
  }

  void cubes(const Tables& tab) {
    const Cube& c = cube();
    const std::vector<float>&s0 = slab_[0], &s1 = slab_[1];
    for (size_t j = 0; j + 1 < n_; ++j)
      for (size_t i = 0; i + 1 < n_; ++i) {
        const float v[8] = {s0[j * n_ + i],       s0[j * n_ + i + 1],       s0[(j + 1) * n_ + i],
                            s0[(j + 1) * n_ + i + 1], s1[j * n_ + i],       s1[j * n_ + i + 1],
                            s1[(j + 1) * n_ + i], s1[(j + 1) * n_ + i + 1]};
        int config = 0;
        for (int k = 0; k < 8; ++k) config |= int(in(v[k])) << k;
        if (config == 0 || config == 255) continue;
        int joined = 0;
        for (int f = 0, amb = tab.ambiguous[config]; f < 6; ++f) {
          if (!((amb >> f) & 1)) continue;
          // The face's corners alternate: q0, q2 on one side, q1, q3 on the other. The bilinear interpolant's
          // saddle lies on the inside (joining the inside corners) when the inside diagonal's product of
          // (value - iso) exceeds the outside one's. Both cubes of the face compute the same products.
          const int* q = c.face_corner[f];
          const double a = double(v[q[0]]) - iso_, b = double(v[q[1]]) - iso_, d2 = double(v[q[2]]) - iso_,
                       d3 = double(v[q[3]]) - iso_;
          const double p02 = a * d2, p13 = b * d3;
          const bool inside02 = in(v[q[0]]);
          if (inside02 ? p02 > p13 : p13 > p02) joined |= 1 << f;
        }
        const CaseEntry& entry = tab.cases[size_t(config) * 64 + size_t(joined)];
        uint32_t id[kCenterBase + kMaxCenters];
        for (int e = 0; e < 12; ++e) id[e] = kNone;
        for (int e = 0; e < 4; ++e) {
          const size_t dy = size_t(e & 1), dz = size_t(e >> 1);
          id[e] = xe_[dz][(j + dy) * (n_ - 1) + i];
          const size_t dx = size_t(e & 1);
          id[4 + e] = ye_[dz][j * n_ + i + dx];
          const size_t dx2 = size_t(e & 1), dy2 = size_t(e >> 1);
          id[8 + e] = ze_[(j + dy2) * n_ + i + dx2];
        }
        for (int k = 0; k < entry.center_count; ++k) {
          double p[3] = {0, 0, 0};
          int count = 0;
          for (int e = 0; e < 12; ++e)
            if ((entry.center_edges[k] >> e) & 1) {
              for (int a = 0; a < 3; ++a) p[a] += mesh_.vertices[3 * size_t(id[e]) + size_t(a)];
              ++count;
            }
          for (double& x : p) mesh_.vertices.push_back(float(x / count));
          id[kCenterBase + k] = uint32_t(mesh_.vertices.size() / 3 - 1);
        }
        for (int t = 0; t < entry.triangle_count; ++t)
          for (int k = 0; k < 3; ++k) mesh_.triangles.push_back(id[entry.triangles[t][k]]);
      }
  }

  const size_t n_;
  const int res_;
  const float iso_;
  std::vector<double> coord_[3];
  double step_[3] = {0, 0, 0};
  std::vector<float> slab_[2];
  std::vector<uint32_t> xe_[2], ye_[2], ze_;
  io::Mesh mesh_;
};

}  // namespace

io::Mesh marching_cubes(int resolution, const GridBox& box, const SlabFunction& field, float iso) {
  if (resolution < 2 || resolution > kMaxMarchingCubesResolution)
    throw Error("marching cubes: the resolution must be 2.." + std::to_string(kMaxMarchingCubesResolution) + ", not " +
                std::to_string(resolution));
  for (int a = 0; a < 3; ++a)
    if (!(box.hi[size_t(a)] > box.lo[size_t(a)]) || !std::isfinite(box.lo[size_t(a)]) || !std::isfinite(box.hi[size_t(a)]))
      throw Error("marching cubes: the box must have finite bounds with lo < hi on every axis");
  if (!std::isfinite(iso)) throw Error("marching cubes: the iso value must be finite");
  return Extractor(resolution, box, iso).run(field);
}

}  // namespace siren::geometry
