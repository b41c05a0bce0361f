#pragma once
#include <memory>
#include <vector>

#include "app/background.h"
#include "app/experiment.h"
#include "core/network/inspect.h"

namespace siren::studio {

// Per-layer histograms of pre-activations and activations of the main run, live, with a switch to a
// naive initialisation: with SIREN's init, hidden pre-activations stay near N(0, 1) and activations
// arcsine-distributed at every depth; with PyTorch's default (or w0 = 1) they do not.
class InspectPanel {
 public:
  InspectPanel(JobThread& worker, Experiment& experiment);
  void draw();

 private:
  struct Stats {
    uint64_t step = 0, generation = 0;
    NetworkConfig config;
    std::vector<LayerStatistics> layers;
  };
  void draw_init_switch();
  void request();

  JobThread& worker_;
  Experiment& experiment_;
  std::shared_ptr<Mailbox<Stats>> box_ = std::make_shared<Mailbox<Stats>>();
  bool in_flight_ = false;
  double posted_at_ = -1e9;
  uint64_t session_id_ = 0;  // Session::id() of the run shown
  uint64_t step_ = ~uint64_t(0), generation_ = ~uint64_t(0);
  Stats stats_;
  std::shared_ptr<const std::vector<float>> coords_;
};

}  // namespace siren::studio
