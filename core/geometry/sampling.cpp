#include "core/geometry/sampling.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace siren::geometry {

namespace {

// A uniform double in [0, 1) from the top 53 bits of one draw.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

}  // namespace

io::PointCloud sample_surface(const io::Mesh& mesh, size_t count, uint64_t seed) {
  const std::string fail = "cannot sample points on the mesh: ";
  if (mesh.vertices.size() % 3 || mesh.triangles.size() % 3)
    throw Error(fail + "the vertex and triangle arrays must hold triples");
  const size_t nv = mesh.vertex_count(), nt = mesh.triangle_count();
  std::vector<uint32_t> faces;  // triangles with an area and a normal
  std::vector<double> cumulative;
  std::vector<float> face_normals;
  double total = 0;
  for (size_t t = 0; t < nt; ++t) {
    double p[3][3];
    for (int k = 0; k < 3; ++k) {
      const uint32_t v = mesh.triangles[3 * t + size_t(k)];
      if (v >= nv)
        throw Error(fail + "triangle " + std::to_string(t) + " refers to vertex " + std::to_string(v) + " of " +
                    std::to_string(nv));
      for (int c = 0; c < 3; ++c) {
        p[k][c] = mesh.vertices[3 * size_t(v) + size_t(c)];
        if (!std::isfinite(p[k][c])) throw Error(fail + "vertex " + std::to_string(v) + " is not finite");
      }
    }
    const double e1[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const double e2[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    const double n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
    const double len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    const double scale = e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2] + e2[0] * e2[0] + e2[1] * e2[1] + e2[2] * e2[2];
    // Zero area, or so thin (angles below ~1e-10) that the normal is noise.
    if (!(len > 1e-10 * scale) || !std::isfinite(len)) continue;
    total += 0.5 * len;
    faces.push_back(uint32_t(t));
    cumulative.push_back(total);
    for (int c = 0; c < 3; ++c) face_normals.push_back(float(n[c] / len));
  }
  if (faces.empty() || !(total > 0) || !std::isfinite(total))
    throw Error(fail + "it has no area (every triangle is degenerate)");

  io::PointCloud cloud;
  cloud.points.resize(3 * count);
  cloud.normals.resize(3 * count);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < count; ++i) {
    const double u = uniform01(rng) * total;
    const size_t k = std::min(size_t(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin()),
                              faces.size() - 1);
    const uint32_t* tri = &mesh.triangles[3 * size_t(faces[k])];
    // Uniform on the triangle: a = 1 - sqrt(r1), b = sqrt(r1) (1 - r2), c = sqrt(r1) r2.
    const double s = std::sqrt(uniform01(rng)), r2 = uniform01(rng);
    const double w[3] = {1.0 - s, s * (1.0 - r2), s * r2};
    for (int c = 0; c < 3; ++c) {
      double x = 0;
      for (int v = 0; v < 3; ++v) x += w[v] * mesh.vertices[3 * size_t(tri[v]) + size_t(c)];
      cloud.points[3 * i + size_t(c)] = float(x);
      cloud.normals[3 * i + size_t(c)] = face_normals[3 * k + size_t(c)];
    }
  }
  cloud.sampled_from_mesh = true;
  return cloud;
}

}  // namespace siren::geometry
