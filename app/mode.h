#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/views/field_view.h"  // ViewPlacement

namespace siren {
class Session;
}

namespace siren::studio {

class FieldRenderer;
class JobThread;
class NoticeLog;
class RecentFiles;
struct StudioOptions;

// What the app lends a mode: its threads, its message list, the recent files and the shared field
// renderer. Everything here outlives every mode.
struct ModeContext {
  JobThread& background;   // slow work in order: decoding files, building sessions, writing files
  JobThread& view_worker;  // network evaluations for the views ("latest wins" keys)
  NoticeLog& notices;
  RecentFiles& recent;
  FieldRenderer* renderer;  // null when the shaders did not load: a mode must still train and say so
  const StudioOptions& options;
  std::string shader_dir;  // where shaders/ was found (find_shader_directory()), empty if nowhere
  // Asks the app to save the window as PNG after the next frame (F12, the Screenshot button).
  std::function<void(const std::string& path)> screenshot;
  bool automated = false;  // --steps/--screenshot/--drop: do not start training until told to
};

// One kind of experiment in the window (--mode image|poisson|blend|sdf): its data, its runs (each a
// core Session), its sections of the sidebar and its main area. StudioApp keeps the window, the
// threads, the notices and the frame loop, and hands the rest to the active mode. A mode never
// blocks the UI thread: files load and sessions are built on `background`, and poll() swaps in the
// results.
class Mode {
 public:
  virtual ~Mode() = default;

  virtual std::string name() const = 0;   // as --mode spells it: "image"
  virtual std::string title() const = 0;  // after the app's name in the sidebar: "fitting an image"

  // Once per frame on the UI thread, before drawing: collect finished background work.
  virtual void poll() = 0;
  // The mode's sections of the sidebar (data, training, settings, outputs), at the current width.
  virtual void draw_sidebar() = 0;
  // The main area (tabs of views); the window around it is the app's.
  virtual void draw_main() = 0;
  // Keys beyond the app's own (Space/S/R training, F12), when no text field has the keyboard.
  virtual void handle_shortcuts() {}
  // Two short lines of shortcut help for the bottom of the sidebar.
  virtual std::string shortcut_help() const = 0;

  // Files dropped on the window or named on the command line (the first of them).
  virtual void open(const std::string& path) = 0;
  virtual void drop_files(const std::vector<std::string>& paths) = 0;

  // Training controls shared by the app's keyboard shortcuts.
  virtual void toggle_training() = 0;
  virtual void single_step() = 0;
  virtual void reset() = 0;

  // For the automation (tests): the main run, whether data is still loading, where the labelled views
  // are on screen, and whether every visible view shows at least this step of this generation.
  virtual std::shared_ptr<Session> session() const = 0;
  virtual bool loading() const = 0;
  virtual std::vector<ViewPlacement> placements() const { return {}; }
  virtual bool views_show(uint64_t step, uint64_t generation) const = 0;
  // Views evaluated so far (values, derivatives), for the automation's refresh-rate figures.
  virtual std::pair<uint64_t, uint64_t> view_refreshes() const { return {0, 0}; }
  virtual void zoom_views(double /*factor*/) {}
  // A background-thread notice (the screenshot writer's) routed through the mode's own mailbox.
  virtual void report_error(const std::string& text) = 0;
  virtual void report_info(const std::string& text) = 0;

  // The app switches to another mode: stop training and hand the sessions to `background` to end,
  // so that nothing waits for a training step on the UI thread. The app destroys the mode (on the UI
  // thread, for its GL objects) once every job posted before this has finished (JobThread's marks),
  // so such a job may still call into it; the mode posts nothing after it.
  virtual void retire() {}
  // Networks with other activations trained side by side (automation: --compare NAMES, as
  // to_string(Activation) spells them). False where the mode has no comparison.
  virtual bool start_compare(const std::vector<std::string>& /*activations*/) { return false; }
  virtual bool comparing() const { return false; }
  // The comparison's runs, each with its activation's name.
  virtual std::vector<std::pair<std::string, std::shared_ptr<Session>>> compare_runs() const { return {}; }
  // What the mode adds to the layout JSON of --screenshot: a JSON object, as text, whose keys are
  // merged into the report (the data's path, the settings, the mode's own figures).
  virtual std::string layout_json() const { return "{}"; }
};

// The modes --mode accepts, in the order the mode switcher shows them.
std::vector<std::string> mode_names();
// Builds a mode by name; nullptr for a name mode_names() does not list.
std::unique_ptr<Mode> make_mode(const std::string& name, ModeContext& context);

// The SDF mode's factory (app/modes/sdf/), declared here so that the registry needs none of its headers.
std::unique_ptr<Mode> make_sdf_mode(ModeContext& context);

}  // namespace siren::studio
