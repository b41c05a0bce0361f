#pragma once
#include <string>

#include "core/io/image.h"
#include "core/tasks/image_derivatives.h"
#include "core/tasks/task.h"

namespace siren {

enum class Supervision { Gradient, Laplacian };
const char* to_string(Supervision s);

// The paper's Poisson experiment: fit an image from its gradient or its Laplacian alone. Targets are
// the reference's filters in coordinate units (image_derivatives), the loss sees only the network's
// derivative; the reconstruction is judged after removing what the derivative cannot see.
class PoissonTask final : public Task {
 public:
  PoissonTask(io::Image image, Supervision supervision);
  static std::unique_ptr<PoissonTask> from_file(const std::string& path, int size, Supervision supervision);

  std::string name() const override { return "poisson"; }
  int in_dim() const override { return 2; }
  int out_dim() const override { return image_.channels; }
  std::shared_ptr<const TrainingData> training_data() const override { return data_; }
  // psnr_db: the image after offset (and, for the Laplacian, ramp) removal; extra: gradient_psnr_db
  // and laplacian_psnr_db of the network's derivatives against the filters' (the paper's table).
  Metrics evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const override;
  std::map<std::string, std::string> model_info() const override;

  Supervision supervision() const { return supervision_; }
  const io::Image& image() const { return image_; }
  const ImageDerivatives& derivatives() const { return derivatives_; }
  // The reconstruction at the training resolution in [0, 1], with the unobservable part removed.
  io::Image reconstruct(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const;

 private:
  std::vector<float> aligned_values(const FieldJets& jets) const;

  io::Image image_;
  Supervision supervision_;
  ImageDerivatives derivatives_;
  std::vector<float> truth_;  // the image in [-1, 1], n x C
  std::shared_ptr<TrainingData> data_;
};

}  // namespace siren
