#pragma once
#include <cstddef>
#include <cstdint>

#include "core/io/mesh.h"

namespace siren::geometry {

// Total area of the triangles.
double mesh_area(const io::Mesh& mesh);

// How the triangles fit together, counting edges by their vertex indices (shared vertices).
struct MeshTopology {
  size_t vertices = 0;              // vertices used by at least one triangle
  size_t edges = 0;                 // distinct undirected edges
  size_t faces = 0;                 // triangles
  size_t boundary_edges = 0;        // edges of exactly one triangle
  size_t non_manifold_edges = 0;    // edges of three or more triangles
  size_t misoriented_edges = 0;     // edges of two triangles that run along it in the same direction
  size_t degenerate_triangles = 0;  // triangles that repeat a vertex index

  int64_t euler_characteristic() const { return int64_t(vertices) - int64_t(edges) + int64_t(faces); }
  // Watertight: every edge belongs to exactly two triangles (and no triangle repeats a vertex).
  bool closed() const { return edges > 0 && boundary_edges == 0 && non_manifold_edges == 0 && degenerate_triangles == 0; }
  // Closed, and the two triangles of every edge run along it in opposite directions.
  bool closed_and_oriented() const { return closed() && misoriented_edges == 0; }
};

// Throws siren::Error for an index out of range.
MeshTopology mesh_topology(const io::Mesh& mesh);

// V - E + F with V the vertices used by the triangles (2 for a sphere, 0 for a torus, 2 - 2g for genus g).
int64_t euler_characteristic(const io::Mesh& mesh);

// Every edge shared by exactly two triangles.
bool is_closed(const io::Mesh& mesh);

}  // namespace siren::geometry
