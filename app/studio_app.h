#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/background.h"
#include "app/experiment.h"
#include "app/frame_change.h"
#include "app/gl/window.h"
#include "app/notices.h"
#include "app/recent_files.h"
#include "app/studio_options.h"
#include "app/views/field_view.h"

namespace siren::studio {

class Automation;
class ComparePanel;
class FieldRenderer;
class FilePanel;
class InspectPanel;
class SettingsPanel;
class TrainingPanel;
class ViewsPanel;

// Owns the window, the experiment and the panels, and runs the frame loop: poll events, collect
// finished background work, lay out the panels, draw, show, wait for the next frame. Keyboard
// shortcuts and dropped files arrive here and are passed on; everything else lives in the parts.
class StudioApp {
 public:
  // Throws siren::Error when no window can be opened (no display): there is nowhere else to say it.
  explicit StudioApp(const StudioOptions& options);
  ~StudioApp();
  StudioApp(const StudioApp&) = delete;
  StudioApp& operator=(const StudioApp&) = delete;

  int run();

  // Files dropped on the window, and --drop: an image to train on, or a .safetensors model to load.
  void drop_files(const std::vector<std::string>& paths);

  // For the automation.
  Experiment& experiment() { return *experiment_; }
  NoticeLog& notices() { return notices_; }
  const Window& window() const { return *window_; }
  std::vector<ViewPlacement> placements() const;
  bool views_show(uint64_t step, uint64_t generation) const;
  void zoom_views(double factor);
  // Evaluations the main views have received (values, derivatives).
  std::pair<uint64_t, uint64_t> view_refreshes() const;

 private:
  bool frame();  // true when it rendered (false: the picture on screen is still right)
  void draw_ui();
  void draw_sidebar(float width);
  void draw_main(float x, float width);
  void handle_shortcuts();
  void take_screenshot(const std::string& path);

  StudioOptions options_;
  std::unique_ptr<Window> window_;
  NoticeLog notices_;
  std::unique_ptr<RecentFiles> recent_;
  std::unique_ptr<JobThread> background_, view_worker_;
  std::unique_ptr<Experiment> experiment_;
  std::unique_ptr<FieldRenderer> renderer_;
  std::string renderer_error_;
  std::unique_ptr<TrainingPanel> training_;
  std::unique_ptr<SettingsPanel> settings_;
  std::unique_ptr<FilePanel> files_;
  std::unique_ptr<ViewsPanel> views_;
  std::unique_ptr<ComparePanel> compare_;
  std::unique_ptr<InspectPanel> inspect_;
  std::unique_ptr<Automation> automation_;
  std::string screenshot_request_;
  FrameChangeDetector frame_change_;
  bool select_tab_ = true;
  bool views_visible_ = false;  // apply --tab on the first frame only
  bool imgui_ready_ = false;
};

// The bundled image: $SIREN_ASSETS_DIR, assets/ next to the executable or above it, or the source tree's.
std::string bundled_image_path();

}  // namespace siren::studio
