#pragma once
#include <functional>
#include <string>

#include "app/modes/sdf/sdf_run.h"
#include "app/modes/sdf/sdf_views.h"
#include "app/panels/session_controls.h"

namespace siren::studio {

class RecentFiles;

// The SDF mode's sections of the sidebar: the shape (path field, Open, recent files), training
// (controls, step, steps/s, loss), network settings (edited, then applied with a restart), the view
// (shading, slice plane, volume resolution, precise view) and outputs (mesh export, model, screenshot).
class SdfSidebar {
 public:
  SdfSidebar(SdfRun& run, RecentFiles& recent, SdfViews& views, SdfViewOptions& options,
             std::function<void(const std::string&)> screenshot);

  void draw();
  void focus_path() { focus_path_ = true; }
  void toggle();
  void single_step();
  void reset();

 private:
  void draw_shape();
  void draw_training();
  void draw_settings();
  void draw_view();
  void draw_outputs();

  SdfRun& run_;
  RecentFiles& recent_;
  SdfViews& views_;
  SdfViewOptions& options_;
  std::function<void(const std::string&)> screenshot_;

  char path_[1024] = "";
  bool focus_path_ = false;
  SdfSettings pending_;
  bool dirty_ = false;  // pending_ holds edits not applied yet
  SessionControls controls_;
  int mesh_resolution_ = 256;
  char mesh_path_[1024] = "shape_mesh.ply";
  char model_path_[1024] = "shape_model.safetensors";
  char screenshot_path_[1024] = "siren_sdf.png";
};

}  // namespace siren::studio
