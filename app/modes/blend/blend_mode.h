#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/defaults.h"
#include "app/mode.h"
#include "app/modes/blend/blend_edit.h"
#include "app/notices.h"
#include "app/panels/metrics_panel.h"
#include "app/panels/session_controls.h"
#include "app/views/field_view.h"
#include "app/views/network_fields.h"
#include "core/io/image.h"
#include "core/tasks/blend_task.h"

namespace siren::studio {

// --mode blend: Poisson image editing with a SIREN, as an editing session. Two images, A and B; B is
// placed over A by dragging (and scaled), the rule says what gradient the network fits where B lies
// (a mix with weight alpha, B's alone inside a mask for seamless cloning, or per pixel the stronger
// one), and every edit rebuilds the task on the background thread and carries on from the current
// weights, so the new composite appears within seconds.
class BlendMode final : public Mode {
 public:
  explicit BlendMode(ModeContext& context);
  ~BlendMode() override;

  std::string name() const override { return "blend"; }
  std::string title() const override { return "blending two images"; }
  void poll() override;
  void draw_sidebar() override;
  void draw_main() override;
  std::string shortcut_help() const override;
  void open(const std::string& path) override { load_image(0, path); }
  void drop_files(const std::vector<std::string>& paths) override;
  void toggle_training() override;
  void single_step() override;
  void reset() override;
  std::shared_ptr<Session> session() const override { return session_; }
  bool loading() const override { return pending_ > 0; }
  std::vector<ViewPlacement> placements() const override;
  bool views_show(uint64_t step, uint64_t generation) const override;
  std::pair<uint64_t, uint64_t> view_refreshes() const override;
  void report_error(const std::string& text) override { report(NoticeLevel::Error, text); }
  void report_info(const std::string& text) override { report(NoticeLevel::Info, text); }
  void retire() override;
  std::string layout_json() const override;

 private:
  // What the task is built from; every edit changes one of these and rebuilds.
  struct Edit {
    float alpha = 0.5f;
    BlendRule rule = BlendRule::Linear;
    double scale = 0.5;        // B's side over A's
    BlendPlacement placement;  // in A's pixels at the training size
    std::vector<float> mask;   // over A; empty: all of B
  };
  struct Built;  // a task and a session from the background thread
  enum class Tool { Move, Rectangle, Brush, Erase };

  void report(NoticeLevel level, std::string text);
  void load_image(int which, const std::string& path);
  void rebuild(bool fresh_weights);
  void install(Built&& b);
  void release(std::shared_ptr<Session> s);
  void draw_image_section();
  void draw_edit_section();
  void draw_training_section();
  void draw_output_section();
  void draw_a_view(float side);
  void save_model();
  void export_composite();

  ModeContext& context_;
  RunSettings settings_;
  Edit edit_;
  std::string paths_[2];                            // A, B ("" for the generated B)
  std::string path_fields_[2];
  std::shared_ptr<const io::Image> originals_[2];   // as loaded
  std::shared_ptr<const io::Image> a_;              // A at the training size
  std::shared_ptr<const BlendTask> task_;
  SessionControls controls_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<const FieldImages> a_fields_, b_fields_, target_fields_;
  FieldAlign align_;
  bool autostart_;
  bool retired_ = false;

  // Views.
  NetworkFields fields_;
  FieldTextures a_tex_, b_tex_, target_tex_;
  FieldView a_view_, b_view_, composite_view_, naive_view_, target_view_, gradient_view_;
  MetricHistory history_;
  MetricSeries evaluated_;
  const FieldImages* seen_values_ = nullptr;
  Tool tool_ = Tool::Move;
  float brush_radius_ = 4.0f;
  bool dragging_ = false;
  BlendPlacement drag_start_;
  double drag_from_[2] = {0, 0};
  double rect_from_[2] = {0, 0};
  bool edited_while_dragging_ = false;

  // Outputs.
  std::string model_path_ = "siren-blend.safetensors";
  std::string export_path_ = "siren-blend.png";
  int export_size_ = 512;

  // Results of background jobs, collected by poll(). Shared with the jobs, so a job that ends after
  // the mode retired writes into this and not into a freed mode.
  struct Inbox;
  std::shared_ptr<Inbox> inbox_;
  int pending_ = 0;
  uint64_t serial_ = 0;
};

}  // namespace siren::studio
