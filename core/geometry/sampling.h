#pragma once
#include <cstddef>
#include <cstdint>

#include "core/io/mesh.h"
#include "core/io/point_cloud.h"

namespace siren::geometry {

// `count` points uniformly distributed by area over the mesh's triangles, each with its triangle's unit
// normal ((v1 - v0) x (v2 - v0), normalised). Triangles of zero area (or too thin for a normal) are
// skipped. Deterministic for a given seed (std::mt19937_64; its raw output is turned into numbers here,
// so the points do not depend on the standard library). Throws siren::Error when the mesh has no area,
// an index out of range or a non-finite vertex.
io::PointCloud sample_surface(const io::Mesh& mesh, size_t count, uint64_t seed);

}  // namespace siren::geometry
