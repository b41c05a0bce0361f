#pragma once
#include "core/io/image.h"
#include "core/tasks/task.h"

namespace siren {

// Fits an image: (row, col) in [-1,1]^2 -> pixel values scaled to [-1, 1], MSE on all pixels or a
// random batch (the reference's image experiment).
class ImageTask final : public Task {
 public:
  explicit ImageTask(io::Image image);
  // Loads, scales the shorter side to `size` and centre-crops to size x size, as the reference does.
  static std::unique_ptr<ImageTask> from_file(const std::string& path, int size);

  std::string name() const override { return "image"; }
  int in_dim() const override { return 2; }
  int out_dim() const override { return image_.channels; }
  std::shared_ptr<const TrainingData> training_data() const override { return data_; }
  Metrics evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const override;
  std::optional<double> psnr_from_loss(double loss) const override;
  std::map<std::string, std::string> model_info() const override;

  const io::Image& image() const { return image_; }
  // The network's rendition at the training resolution, as an image in [0, 1].
  io::Image render(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const;

 private:
  io::Image image_;
  std::shared_ptr<TrainingData> data_;
};

}  // namespace siren
