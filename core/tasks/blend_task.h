#pragma once
#include <string>

#include "core/io/image.h"
#include "core/tasks/image_derivatives.h"
#include "core/tasks/task.h"

namespace siren {

// How the target gradient is made where B lies over A (inside the mask, if there is one):
// Linear: alpha grad A + (1 - alpha) grad B (the paper's gradient mixing);
// Clone: grad B (seamless cloning);  Mixed: per pixel the stronger of grad A and grad B (Perez et al.'s
// "mixed gradients"). Everywhere else the target is grad A.
enum class BlendRule { Linear, Clone, Mixed };
const char* to_string(BlendRule r);

struct BlendSettings {
  float alpha = 0.5f;
  BlendRule rule = BlendRule::Linear;
  int row = 0, col = 0;      // B's top-left pixel inside A
  std::vector<float> mask;   // A's height x width, > 0.5 inside; empty: all of B's rectangle
};

// Poisson image editing with a SIREN: one network fitted to a composite gradient field of A and B.
class BlendTask final : public Task {
 public:
  // B (already at its final size) must fit inside A at (row, col); both become 3-channel if either is.
  BlendTask(io::Image a, io::Image b, BlendSettings settings);

  std::string name() const override { return "blend"; }
  int in_dim() const override { return 2; }
  int out_dim() const override { return a_.channels; }
  std::shared_ptr<const TrainingData> training_data() const override { return data_; }
  // loss: the gradient loss over all of A; psnr_db: the composite against the naive composite (B pasted
  // with weight 1 - alpha), after offset removal; extra: gradient_psnr_db against the target gradient.
  Metrics evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const override;
  std::map<std::string, std::string> model_info() const override;

  // The blended image at A's resolution in [0, 1]; its free constant is matched to the naive composite.
  io::Image composite(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const;
  const std::vector<float>& target_gradient() const { return data_->targets; }  // H x W x C x 2
  const io::Image& naive_composite() const { return naive_; }

 private:
  io::Image a_, b_;
  BlendSettings settings_;
  io::Image naive_;
  std::vector<float> naive_signed_;  // naive_ in [-1, 1]
  std::shared_ptr<TrainingData> data_;
};

}  // namespace siren
