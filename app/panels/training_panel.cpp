#include "app/panels/training_panel.h"

#include <imgui.h>

#include <cmath>

#include "app/ui_util.h"

namespace siren::studio {

void TrainingPanel::toggle() {
  if (auto s = experiment_.session()) {
    if (s->status().state == SessionState::Running) s->pause();
    else s->start();
  }
}

void TrainingPanel::single_step() {
  if (auto s = experiment_.session()) s->step(1);
}

void TrainingPanel::reset() {
  if (auto s = experiment_.session()) {
    s->reset();
    experiment_.report(NoticeLevel::Info, "Training restarted from fresh weights (same settings).");
  }
}

void TrainingPanel::draw() {
  section("Training");
  SessionControls::Text text;
  text.loading = "Loading the image...";
  text.empty = "No image open.";
  text.loss_help = "The last step's loss (mean squared error on the [-1, 1] scale).";
  text.psnr = true;
  controls_.draw(experiment_.session(), experiment_.loading(), text,
                 {[this] { toggle(); }, [this] { single_step(); }, [this] { reset(); }});
}

}  // namespace siren::studio
