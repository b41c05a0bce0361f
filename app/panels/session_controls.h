#pragma once
#include <functional>
#include <memory>
#include <string>

#include "core/session/session.h"

namespace siren::studio {

// The buttons and numbers of a run that every mode's Training section shows: Start/Pause, Step and
// Reset, then step, steps per second, loss (and PSNR where the task has one), learning rate and
// backend. The buttons follow the session at once; the numbers refresh a few times a second, so
// they stay readable and an idle window draws nothing new.
class SessionControls {
 public:
  struct Text {
    std::string loading = "Loading...";  // while the data is on its way and no session exists yet
    std::string empty = "Nothing open.";
    std::string loss_help;  // what the loss is, for its tooltip
    bool psnr = false;      // show the PSNR line
    std::string reset_label = "Reset";
    std::string reset_help = "Start again from freshly initialised weights with the same settings (R).";
  };
  struct Actions {
    std::function<void()> toggle, step, reset;
  };

  // Draws at the cursor (below a section header the caller drew).
  void draw(const std::shared_ptr<Session>& session, bool loading, const Text& text, const Actions& actions);

 private:
  SessionStatus shown_;
  uint64_t shown_session_ = 0;  // Session::id(), 0 for none
  double refreshed_ = -1e9;
};

}  // namespace siren::studio
