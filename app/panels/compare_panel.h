#pragma once
#include <memory>
#include <vector>

#include "app/experiment.h"
#include "app/panels/metrics_panel.h"
#include "app/views/field_view.h"
#include "app/views/network_fields.h"

namespace siren::studio {

// Up to four networks with different activations trained on the same image at once: their fits
// and Laplacians in one grid (zooming together) and their PSNR curves in one plot.
class ComparePanel {
 public:
  ComparePanel(FieldRenderer& renderer, JobThread& worker, Experiment& experiment);
  ~ComparePanel();
  void draw();

 private:
  struct RunView;
  void draw_controls();

  FieldRenderer& renderer_;
  JobThread& worker_;
  Experiment& experiment_;
  bool enabled_[4] = {true, true, true, true};
  int activation_[4];
  std::vector<std::unique_ptr<RunView>> runs_;
  ViewRect home_, shown_;
  const FieldImages* truth_seen_ = nullptr;
};

}  // namespace siren::studio
