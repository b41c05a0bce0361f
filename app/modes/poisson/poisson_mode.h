#pragma once
#include "app/modes/image/image_mode.h"
#include "core/tasks/poisson_task.h"

namespace siren::studio {

// --mode poisson: the paper's Poisson experiment live. The network sees only the image's gradient
// (Sobel) or Laplacian (5-point stencil); the views show the reconstruction after the least-squares
// removal of what that supervision cannot see (a constant; for the Laplacian also a ramp), the
// network's exact gradient and Laplacian above the supervision signal, and the PSNR of all three.
// Everything else (files, training, settings, the comparison of activations) is image fitting's.
class PoissonMode final : public ImageMode {
 public:
  explicit PoissonMode(ModeContext& context);

  std::string name() const override { return "poisson"; }
  std::string title() const override { return "Poisson reconstruction"; }
  std::string layout_json() const override;

 private:
  void draw_task_section() override;
  void set_supervision(Supervision s);

  Supervision supervision_ = Supervision::Gradient;
};


}  // namespace siren::studio
