#pragma once
#include "app/experiment.h"
#include "app/panels/session_controls.h"

namespace siren::studio {

// Start / pause / single step / reset of the main run, and its numbers: step, steps per second,
// loss, PSNR, learning rate, backend.
class TrainingPanel {
 public:
  explicit TrainingPanel(Experiment& experiment) : experiment_(experiment) {}
  void draw();

  // Also bound to keys (Space, S, R).
  void toggle();
  void single_step();
  void reset();

 private:
  Experiment& experiment_;
  SessionControls controls_;
};

}  // namespace siren::studio
