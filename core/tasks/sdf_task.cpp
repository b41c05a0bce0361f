#include "core/tasks/sdf_task.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/geometry/nearest_neighbors.h"
#include "core/geometry/sampling.h"
#include "core/network/sdf_loss.h"
#include "core/util/error.h"

namespace siren {

SdfTask::SdfTask(io::PointCloud cloud) : data_(std::make_shared<TrainingData>()) {
  if (cloud.size() < 1 || cloud.normals.size() != cloud.points.size())
    throw Error("an SDF needs oriented points: positions with normals");
  input_points_ = cloud.points;
  norm_ = geometry::fit_normalization(cloud.points);
  norm_.apply(cloud);
  TrainingData& d = *data_;
  d.in_dim = 3;
  d.out_dim = 1;
  d.loss = LossKind::Sdf;
  d.count = cloud.size();
  d.coords = std::move(cloud.points);
  d.targets.resize(d.count * kSdfTargetWidth);
  for (size_t i = 0; i < d.count; ++i) {
    for (int k = 0; k < 3; ++k) d.targets[i * 4 + size_t(k)] = cloud.normals[i * 3 + size_t(k)];
    d.targets[i * 4 + 3] = 1.0f;
  }
  d.validate();
}

std::unique_ptr<SdfTask> SdfTask::from_file(const std::string& path) {
  return std::make_unique<SdfTask>(io::load_point_cloud(path));
}

Metrics SdfTask::evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets j = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Gradient);
  Metrics m;
  std::vector<double> out(data_->count * 4), adj(data_->count * 4);
  double abs_phi = 0, cosine = 0;
  for (size_t i = 0; i < data_->count; ++i) {
    const float* g = &j.gradient[i * 3];
    const float* n = &data_->targets[i * 4];
    out[i * 4] = j.value[i];
    for (int k = 0; k < 3; ++k) out[i * 4 + 1 + size_t(k)] = g[k];
    abs_phi += std::fabs(j.value[i]);
    const double gn = std::sqrt(double(g[0]) * g[0] + double(g[1]) * g[1] + double(g[2]) * g[2]);
    cosine += gn > 0 ? (g[0] * n[0] + g[1] * n[1] + g[2] * n[2]) / gn : 0.0;
  }
  m.loss = sdf_loss<double>(out.data(), data_->targets.data(), data_->count, data_->count, 0, adj.data());
  m.extra["mean_abs_phi"] = norm_.length_to_input(abs_phi / double(data_->count));
  m.extra["normal_consistency"] = cosine / double(data_->count);
  return m;
}

std::map<std::string, std::string> SdfTask::model_info() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g %.17g", norm_.center[0], norm_.center[1], norm_.center[2],
                norm_.scale);
  return {{"task", "sdf"}, {"normalization", buf}, {"points", std::to_string(data_->count)}};
}

namespace {
// The reference's normalisation puts the shape's extreme points exactly on the faces of [-1, 1]^3, so
// a grid over that cube would cut the surface open there: the grid reaches a little beyond it.
constexpr double kMeshMargin = 0.05;

io::Mesh march(Backend& backend, const NetworkConfig& config, const std::vector<float>& params, int resolution) {
  geometry::GridBox box;
  for (int k = 0; k < 3; ++k) box.lo[size_t(k)] = -1 - kMeshMargin, box.hi[size_t(k)] = 1 + kMeshMargin;
  std::vector<float> coords(size_t(resolution) * resolution * 3);
  return geometry::marching_cubes(resolution, box, [&](int z, std::vector<float>& slab) {
    const double zc = geometry::grid_coordinate(box, 2, z, resolution);
    for (int y = 0; y < resolution; ++y)
      for (int x = 0; x < resolution; ++x) {
        float* c = &coords[(size_t(y) * resolution + size_t(x)) * 3];
        c[0] = float(geometry::grid_coordinate(box, 0, x, resolution));
        c[1] = float(geometry::grid_coordinate(box, 1, y, resolution));
        c[2] = float(zc);
      }
    const FieldJets f = backend.evaluate(config, params, coords.data(), slab.size(), JetMode::Value);
    // Intersected with the cube the network was trained on, [-1, 1]^3, which the grid overreaches:
    // the zero set inside it is unchanged (both terms negative inside the shape), where the shape
    // meets the cube's faces the mesh is capped and closed, and whatever the untrained network does
    // beyond the faces (it grows thin surfaces there) is cut away.
    constexpr double cap = 1.0;
    for (size_t i = 0; i < slab.size(); ++i) {
      const float* c = &coords[i * 3];
      const double cube = std::max({std::fabs(c[0]), std::fabs(c[1]), std::fabs(c[2])}) - cap;
      slab[i] = std::max(f.value[i], float(cube));
    }
  });
}
}  // namespace

io::Mesh SdfTask::extract_mesh(Backend& backend, const NetworkConfig& config, const std::vector<float>& params,
                               int resolution) const {
  io::Mesh mesh = march(backend, config, params, resolution);
  norm_.invert(mesh);
  return mesh;
}

double SdfTask::chamfer_to_input(const io::Mesh& mesh, size_t samples, uint64_t seed) const {
  if (mesh.triangle_count() == 0) return std::numeric_limits<double>::infinity();
  const io::PointCloud on_mesh = geometry::sample_surface(mesh, samples, seed);
  std::vector<float> input = input_points_;
  if (input.size() / 3 > samples) {
    // An evenly spread subset of the input keeps the cost bounded for dense scans.
    std::vector<float> subset;
    const size_t n = input.size() / 3;
    for (size_t i = 0; i < samples; ++i) {
      const size_t j = i * n / samples;
      subset.insert(subset.end(), &input[j * 3], &input[j * 3] + 3);
    }
    input.swap(subset);
  }
  return geometry::chamfer_distance(on_mesh.points, input);
}

io::Mesh extract_model_mesh(Backend& backend, const NetworkConfig& config, const std::vector<float>& params,
                            const std::map<std::string, std::string>& info, int resolution) {
  if (config.in_dim != 3 || config.out_dim != 1)
    throw Error("only a 3 -> 1 model (a signed distance function) has a mesh; this one maps " +
                std::to_string(config.in_dim) + " -> " + std::to_string(config.out_dim));
  io::Mesh mesh = march(backend, config, params, resolution);
  const auto it = info.find("normalization");
  if (it != info.end()) {
    geometry::Normalization norm;
    if (std::sscanf(it->second.c_str(), "%lf %lf %lf %lf", &norm.center[0], &norm.center[1], &norm.center[2],
                    &norm.scale) != 4 ||
        !(norm.scale > 0))
      throw Error("the model's normalization metadata is malformed: '" + it->second + "'");
    norm.invert(mesh);
  }
  return mesh;
}

}  // namespace siren
