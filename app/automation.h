#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "app/studio_options.h"

namespace siren::studio {

class StudioApp;

// The scripted runs of --steps / --screenshot / --drop, driven one frame at a time by the app so that
// everything goes through the same paths as a user's actions: files are "dropped" through the drop
// handler, training through the Session, views through the view worker. With --screenshot it then
// writes the window to PNG and, beside it (PNG + ".json"), where every view is, the notices shown,
// frame-time statistics idle and while training, and the training speed.
class Automation {
 public:
  explicit Automation(const StudioOptions& options);

  using Clock = std::chrono::steady_clock;
  // Around every frame: when it started, how long it worked (UI, render, swap) and whether it rendered.
  void frame_started(Clock::time_point t);
  void frame_finished(double work_ms, bool rendered);
  // Frames must be rendered while idle frames are measured and when the window is captured.
  bool wants_render() const { return phase_ == Phase::Idle || phase_ == Phase::Settle || phase_ == Phase::Capture; }
  // After the frame is drawn (if `rendered`) and before it is shown. True: the program should exit.
  bool after_render(StudioApp& app, bool rendered);
  int exit_code() const { return exit_code_; }

 private:
  enum class Phase { WaitImage, WaitSwitched, Drop, WaitDropped, Idle, Train, Settle, Capture, Done };
  struct FrameStats {
    std::vector<double> interval_ms;  // frame start to frame start, every frame
    std::vector<double> render_ms;    // work of the frames that rendered
    std::vector<double> work_ms;      // work of every frame
  };
  bool views_current(StudioApp& app) const;
  void capture(StudioApp& app, const std::string& failure);

  StudioOptions options_;
  Phase phase_ = Phase::WaitImage;
  Clock::time_point started_ = Clock::now(), last_frame_, phase_start_;
  bool have_last_frame_ = false;
  double last_interval_ms_ = 0;
  int phase_frames_ = 0;
  FrameStats idle_, train_;
  FrameStats* recording_ = nullptr;
  uint64_t train_from_ = 0, train_steps_ = 0;
  double train_seconds_ = 0;
  std::pair<uint64_t, uint64_t> refreshes_at_start_{0, 0}, refreshes_at_end_{0, 0};
  int exit_code_ = 0;
};

}  // namespace siren::studio
