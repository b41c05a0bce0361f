#pragma once
#include "app/experiment.h"

namespace siren::studio {

// The network and optimiser: edits are collected and applied together, since any of them means a
// new run (the button says so, and the notice says what changed).
class SettingsPanel {
 public:
  explicit SettingsPanel(Experiment& experiment) : experiment_(experiment) {}
  void draw();

 private:
  Experiment& experiment_;
  RunSettings pending_;
  bool dirty_ = false;
};

}  // namespace siren::studio
