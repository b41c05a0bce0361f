#pragma once
// Internal to core/io (and its tests): the parsers behind load_mesh and load_point_cloud, on a file's bytes.
#include <string>
#include <vector>

#include "core/io/mesh.h"
#include "core/io/point_cloud.h"

namespace siren::io::detail {

// load_mesh on bytes already read; `ext` is ".ply", ".obj" or ".off"; errors are siren::Error(fail + ...).
Mesh parse_mesh(const std::vector<unsigned char>& bytes, const std::string& ext, const std::string& fail);

// load_point_cloud of a .xyz or .ply file on bytes already read.
PointCloud parse_point_cloud(const std::vector<unsigned char>& bytes, const std::string& ext, const std::string& fail,
                             const PointCloudLoadOptions& options);

}  // namespace siren::io::detail
