#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "app/background.h"
#include "app/frame_change.h"
#include "app/gl/window.h"
#include "app/mode.h"
#include "app/notices.h"
#include "app/recent_files.h"
#include "app/studio_options.h"
#include "app/views/field_view.h"

namespace siren::studio {

class Automation;
class FieldRenderer;

// Owns the window, the threads, the messages and the active mode (--mode, or the switcher in the
// sidebar), and runs the frame loop: poll events, collect finished background work, lay out the
// sidebar and the main area, draw, show, wait for the next frame. The training shortcuts (Space, S,
// R), F12 and dropped files arrive here and go to the mode; everything else is the mode's.
class StudioApp {
 public:
  // Throws siren::Error when no window can be opened (no display): there is nowhere else to say it.
  explicit StudioApp(const StudioOptions& options);
  ~StudioApp();
  StudioApp(const StudioApp&) = delete;
  StudioApp& operator=(const StudioApp&) = delete;

  int run();

  // Files dropped on the window, and --drop: handed to the mode.
  void drop_files(const std::vector<std::string>& paths);
  // Switches to another mode at the start of the next frame; an unknown name is an error notice.
  void switch_mode(const std::string& name);

  // For the automation.
  Mode& mode() { return *mode_; }
  NoticeLog& notices() { return notices_; }
  const Window& window() const { return *window_; }

 private:
  bool frame();  // true when it rendered (false: the picture on screen is still right)
  void draw_ui();
  void draw_sidebar(float width);
  void draw_main(float x, float width);
  void handle_shortcuts();
  void take_screenshot(const std::string& path);
  void apply_mode_switch();
  void destroy_retired();

  StudioOptions options_;
  std::unique_ptr<Window> window_;
  NoticeLog notices_;
  std::unique_ptr<RecentFiles> recent_;
  std::unique_ptr<JobThread> background_, view_worker_;
  std::unique_ptr<FieldRenderer> renderer_;
  std::string renderer_error_;
  std::unique_ptr<ModeContext> context_;
  std::unique_ptr<Mode> mode_;
  // Modes switched away from, kept until every job posted before they retired has finished (mode.h,
  // retire): the marks are the job threads' at that moment.
  struct Retired {
    std::unique_ptr<Mode> mode;
    uint64_t background_mark = 0, view_mark = 0;
  };
  std::vector<Retired> retired_;
  std::string requested_mode_;
  std::unique_ptr<Automation> automation_;
  std::string screenshot_request_;
  FrameChangeDetector frame_change_;
  bool imgui_ready_ = false;
};

}  // namespace siren::studio
