#include "core/geometry/mesh_metrics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace siren::geometry {

double mesh_area(const io::Mesh& mesh) {
  const size_t nv = mesh.vertex_count();
  double area = 0;
  for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
    double p[3][3];
    for (int k = 0; k < 3; ++k) {
      const uint32_t v = mesh.triangles[t + size_t(k)];
      if (v >= nv) throw Error("mesh area: triangle " + std::to_string(t / 3) + " refers to a missing vertex");
      for (int c = 0; c < 3; ++c) p[k][c] = mesh.vertices[3 * size_t(v) + size_t(c)];
    }
    const double e1[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const double e2[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    const double n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
    area += 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  }
  return area;
}

MeshTopology mesh_topology(const io::Mesh& mesh) {
  MeshTopology topo;
  const size_t nv = mesh.vertex_count();
  std::vector<char> used(nv, 0);
  // Directed edges as (from << 32 | to), sorted so that each undirected edge's uses are found together.
  std::vector<uint64_t> directed;
  directed.reserve(mesh.triangles.size());
  for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
    const uint32_t v[3] = {mesh.triangles[t], mesh.triangles[t + 1], mesh.triangles[t + 2]};
    for (uint32_t x : v)
      if (x >= nv) throw Error("mesh topology: triangle " + std::to_string(t / 3) + " refers to a missing vertex");
    ++topo.faces;
    if (v[0] == v[1] || v[1] == v[2] || v[0] == v[2]) {
      ++topo.degenerate_triangles;
      continue;
    }
    for (int k = 0; k < 3; ++k) {
      used[v[k]] = 1;
      directed.push_back(uint64_t(v[k]) << 32 | v[(k + 1) % 3]);
    }
  }
  topo.vertices = size_t(std::count(used.begin(), used.end(), 1));
  // Group by undirected key (min, max), remembering the direction.
  std::vector<std::pair<uint64_t, bool>> undirected;
  undirected.reserve(directed.size());
  for (uint64_t d : directed) {
    const uint32_t a = uint32_t(d >> 32), b = uint32_t(d);
    undirected.push_back({uint64_t(std::min(a, b)) << 32 | std::max(a, b), a < b});
  }
  std::sort(undirected.begin(), undirected.end());
  for (size_t i = 0; i < undirected.size();) {
    size_t j = i, forward = 0;
    while (j < undirected.size() && undirected[j].first == undirected[i].first) forward += undirected[j++].second;
    const size_t uses = j - i;
    ++topo.edges;
    if (uses == 1) ++topo.boundary_edges;
    if (uses >= 3) ++topo.non_manifold_edges;
    if (uses == 2 && forward != 1) ++topo.misoriented_edges;
    i = j;
  }
  return topo;
}

int64_t euler_characteristic(const io::Mesh& mesh) { return mesh_topology(mesh).euler_characteristic(); }

bool is_closed(const io::Mesh& mesh) { return mesh_topology(mesh).closed(); }

}  // namespace siren::geometry
