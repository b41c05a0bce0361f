#pragma once
#include "app/experiment.h"

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
  SessionStatus shown_;
  const Session* shown_session_ = nullptr;
  double refreshed_ = -1e9;
};

}  // namespace siren::studio
