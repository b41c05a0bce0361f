#pragma once
#include <string>

#include "core/geometry/marching_cubes.h"
#include "core/geometry/normalization.h"
#include "core/io/mesh.h"
#include "core/io/point_cloud.h"
#include "core/tasks/task.h"

namespace siren {

// The paper's shape experiment: a 3 -> 1 network fitted to an oriented point cloud with the
// reference's SDF loss (sdf_loss.h), in the reference's normalised coordinates; every figure it
// reports and every mesh it exports is in the input's own units.
class SdfTask final : public Task {
 public:
  explicit SdfTask(io::PointCloud cloud);
  // Oriented points from .xyz/.ply, or sampled by area from a mesh (.ply with faces, .obj, .off).
  static std::unique_ptr<SdfTask> from_file(const std::string& path);

  std::string name() const override { return "sdf"; }
  int in_dim() const override { return 3; }
  int out_dim() const override { return 1; }
  std::shared_ptr<const TrainingData> training_data() const override { return data_; }
  float gradient_clip() const override { return 1.0f; }  // the reference clips SDF gradients at norm 1
  // loss: the reference loss on all input points (no off-surface term); extra: mean_abs_phi and
  // normal_consistency (mean cosine of grad phi and the normals) at the input points, in input units.
  Metrics evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const override;
  std::map<std::string, std::string> model_info() const override;

  const geometry::Normalization& normalization() const { return norm_; }
  size_t point_count() const { return data_->count; }
  // The zero level set by marching cubes over [-1,1]^3 (and a small margin) at `resolution`, evaluated slab by slab, put
  // back into the input's units.
  io::Mesh extract_mesh(Backend& backend, const NetworkConfig& config, const std::vector<float>& params,
                        int resolution) const;
  // Symmetric Chamfer distance between a mesh (input units) and the input points, from `samples`
  // points drawn on the mesh by area and as many input points.
  double chamfer_to_input(const io::Mesh& mesh, size_t samples, uint64_t seed) const;

 private:
  geometry::Normalization norm_;
  std::vector<float> input_points_;  // in input units
  std::shared_ptr<TrainingData> data_;
};

// The mesh of any saved 3-D model: normalisation read from the model's metadata when it has one.
io::Mesh extract_model_mesh(Backend& backend, const NetworkConfig& config, const std::vector<float>& params,
                            const std::map<std::string, std::string>& info, int resolution);

}  // namespace siren
