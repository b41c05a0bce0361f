#pragma once
#include <memory>
#include <string>
#include <vector>

#include "app/experiment.h"
#include "app/panels/metrics_panel.h"
#include "app/views/field_view.h"
#include "app/views/network_fields.h"

namespace siren::studio {

// What differs between the experiments that show an image's fields (image fitting, Poisson).
struct ViewsConfig {
  std::string fit_label = "Fit (network)";
  std::string fit_help = "The network's output, evaluated from the latest weights.";
  // Zoomed in, evaluate the network again over the rectangle shown (off where the views show aligned
  // values, which exist on the training grid only: the textures are magnified instead).
  bool network_zoom = true;
  // Which of the image's derivatives the network is trained on ("gradient", "laplacian"; empty: none):
  // those views are labelled as the supervision signal.
  std::string supervision;
  // The PSNR plot shows the figures of the view evaluations (image, gradient, Laplacian) instead of
  // the session's per-step PSNR (which tasks supervised by derivatives do not have).
  bool evaluated_psnr = false;
};

// The main tab: ground truth, fit and error; the network's exact gradient (magnitude, d/dx, d/dy)
// and Laplacian beside the image's filter derivatives (Sobel, 5-point stencil), with colour bars;
// all zoom and pan together; loss and PSNR plots.
class ViewsPanel {
 public:
  ViewsPanel(FieldRenderer& renderer, JobThread& worker, Experiment& experiment, ViewsConfig config = {});
  void draw();
  void configure(const ViewsConfig& config);
  // Figures of the latest evaluations (FieldAlign metrics), e.g. "psnr_db".
  const MetricSeries& evaluated() const { return evaluated_; }

  void reset_zoom() { shown_ = home_; }
  // Magnifies about the centre (automation, --zoom).
  void zoom_to(double factor) { shown_ = zoomed(home_, factor, 0.5, 0.5); }
  // Where each view was drawn in the last frame (window pixels), for the layout report.
  std::vector<ViewPlacement> placements() const;
  // Whether the fit shown comes from this step of this run.
  bool shows(uint64_t step, uint64_t generation) const { return fields_.shows(step, generation); }
  NetworkFields::Counts refresh_counts() const { return fields_.counts(); }

 private:
  enum Id { Truth, Fit, Error, GradMag, GradX, GradY, Lap, TruthGradMag, TruthGradX, TruthGradY, TruthLap, kCount };
  // What view `id` shows; `base`: from the training-grid evaluation even when zoomed in.
  FieldLayer layer(Id id, bool base) const;
  std::string probe(Id id, double row, double col) const;
  void sync_task();

  FieldRenderer& renderer_;
  Experiment& experiment_;
  NetworkFields fields_;
  FieldTextures truth_;
  std::shared_ptr<const FieldImages> truth_images_;
  ViewRect home_, shown_;
  bool shared_scale_ = true;
  MetricHistory history_;
  ViewsConfig config_;
  MetricSeries evaluated_;
  const FieldImages* seen_values_ = nullptr;
  const FieldImages* seen_derivatives_ = nullptr;
  std::vector<FieldView> views_;
};

}  // namespace siren::studio
