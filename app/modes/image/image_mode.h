#pragma once
#include <memory>
#include <string>
#include <vector>

#include "app/experiment.h"
#include "app/mode.h"
#include "app/panels/views_panel.h"

namespace siren::studio {

class ComparePanel;
class FilePanel;
class InspectPanel;
class SettingsPanel;
class TrainingPanel;

// --mode image: one image, its runs (Experiment) and the panels over them: file, training, network
// settings and outputs in the sidebar; fields and derivatives, the activation comparison and the
// layer statistics as tabs. Other experiments on an image (Poisson) are this with another task.
class ImageMode : public Mode {
 public:
  explicit ImageMode(ModeContext& context);
  ~ImageMode() override;

  std::string name() const override { return "image"; }
  std::string title() const override { return "fitting an image"; }
  void poll() override;
  void draw_sidebar() override;
  void draw_main() override;
  void handle_shortcuts() override;
  std::string shortcut_help() const override;
  void open(const std::string& path) override;
  void drop_files(const std::vector<std::string>& paths) override;
  void toggle_training() override;
  void single_step() override;
  void reset() override;
  std::shared_ptr<Session> session() const override { return experiment_->session(); }
  bool loading() const override { return experiment_->loading(); }
  std::vector<ViewPlacement> placements() const override;
  bool views_show(uint64_t step, uint64_t generation) const override;
  std::pair<uint64_t, uint64_t> view_refreshes() const override;
  void zoom_views(double factor) override;
  void report_error(const std::string& text) override { experiment_->report(NoticeLevel::Error, text); }
  void report_info(const std::string& text) override { experiment_->report(NoticeLevel::Info, text); }
  void retire() override { experiment_->release_all(); }
  bool start_compare(const std::vector<std::string>& activations) override;
  bool comparing() const override { return experiment_->comparing(); }
  std::vector<std::pair<std::string, std::shared_ptr<Session>>> compare_runs() const override;
  std::string layout_json() const override;

 protected:
  ImageMode(ModeContext& context, RunSettings initial, TaskFactory factory, ViewsConfig views);
  // A section of the sidebar between the image and training (what the derived mode trains on).
  virtual void draw_task_section() {}
  Experiment& experiment() { return *experiment_; }
  const Experiment& experiment() const { return *experiment_; }
  ViewsPanel* views() const { return views_.get(); }

  ModeContext& context_;

 private:
  std::unique_ptr<Experiment> experiment_;
  std::unique_ptr<TrainingPanel> training_;
  std::unique_ptr<SettingsPanel> settings_;
  std::unique_ptr<FilePanel> files_;
  std::unique_ptr<ViewsPanel> views_;
  std::unique_ptr<ComparePanel> compare_;
  std::unique_ptr<InspectPanel> inspect_;
  bool select_tab_ = true;      // apply --tab on the first frame only
  bool views_visible_ = false;
};

}  // namespace siren::studio
