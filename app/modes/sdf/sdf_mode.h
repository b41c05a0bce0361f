#pragma once
#include <memory>
#include <string>
#include <vector>

#include "app/mode.h"
#include "app/modes/sdf/sdf_run.h"
#include "app/modes/sdf/sdf_sidebar.h"
#include "app/modes/sdf/sdf_views.h"

namespace siren::studio {

// --mode sdf: a 3 -> 1 SIREN fitted to an oriented point cloud (SdfRun), shown as its zero level set
// (SdfViews: ray-marched volume and precise view) with the sidebar of SdfSidebar. Opens with the bundled
// assets/shape.ply and trains at once. --tab normals|lit|slice picks the first shading.
class SdfMode : public Mode {
 public:
  explicit SdfMode(ModeContext& context);
  ~SdfMode() override;

  std::string name() const override { return "sdf"; }
  std::string title() const override { return "fitting a shape (SDF)"; }
  void poll() override;
  void draw_sidebar() override;
  void draw_main() override;
  void handle_shortcuts() override;
  std::string shortcut_help() const override;
  void open(const std::string& path) override;
  void drop_files(const std::vector<std::string>& paths) override;
  void toggle_training() override { sidebar_->toggle(); }
  void single_step() override { sidebar_->single_step(); }
  void reset() override { sidebar_->reset(); }
  std::shared_ptr<Session> session() const override { return run_->session(); }
  // Also while a scripted mesh export (--param mesh=PATH) is due or running, so the automation waits.
  bool loading() const override { return run_->loading() || run_->exporting() || scripted_export_due(); }
  std::vector<ViewPlacement> placements() const override { return views_->placements(); }
  bool views_show(uint64_t step, uint64_t generation) const override { return views_->shows(step, generation); }
  std::pair<uint64_t, uint64_t> view_refreshes() const override { return views_->refreshes(); }
  void zoom_views(double factor) override { views_->zoom(factor); }
  void report_error(const std::string& text) override { run_->report(NoticeLevel::Error, text); }
  void report_info(const std::string& text) override { run_->report(NoticeLevel::Info, text); }
  void retire() override;
  std::string layout_json() const override;

 private:
  ModeContext& context_;
  std::unique_ptr<SdfRenderer> renderer_;  // null when the shaders did not load: training goes on
  std::string renderer_error_;
  SdfViewOptions view_options_;
  std::unique_ptr<SdfRun> run_;
  std::unique_ptr<SdfViews> views_;
  std::unique_ptr<SdfSidebar> sidebar_;
  bool scripted_export_due() const;
  bool retired_ = false;
  // --param mesh=PATH [mesh_resolution=N]: exported once the scripted --steps are done (tests).
  std::string scripted_mesh_;
  int scripted_mesh_resolution_ = 64;
};

}  // namespace siren::studio
