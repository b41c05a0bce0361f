#include "app/modes/image/image_mode.h"

#include <imgui.h>

#include <nlohmann/json.hpp>

#include "app/assets.h"
#include "app/defaults.h"
#include "app/gl/gl.h"
#include "app/panels/compare_panel.h"
#include "app/panels/file_panel.h"
#include "app/panels/inspect_panel.h"
#include "app/panels/settings_panel.h"
#include "app/panels/training_panel.h"
#include "app/recent_files.h"
#include "app/studio_options.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

ImageMode::ImageMode(ModeContext& context)
    : ImageMode(context, initial_settings(context.options), image_fitting_task, ViewsConfig{}) {}

ImageMode::ImageMode(ModeContext& context, RunSettings initial, TaskFactory factory, ViewsConfig views)
    : context_(context) {
  experiment_ = std::make_unique<Experiment>(context.background, context.notices, std::move(initial), std::move(factory));
  experiment_->set_fallback(bundled_image_path());
  experiment_->set_autostart(!context.automated);
  experiment_->on_opened([this](const std::string& p) { context_.recent.add(p); });
  training_ = std::make_unique<TrainingPanel>(*experiment_);
  settings_ = std::make_unique<SettingsPanel>(*experiment_);
  files_ = std::make_unique<FilePanel>(*experiment_, context.recent, context.screenshot);
  if (context.renderer) {
    views_ = std::make_unique<ViewsPanel>(*context.renderer, context.view_worker, *experiment_, std::move(views));
    compare_ = std::make_unique<ComparePanel>(*context.renderer, context.view_worker, *experiment_);
  }
  inspect_ = std::make_unique<InspectPanel>(context.view_worker, *experiment_);
  // The file named on the command line, in whichever mode is shown (a switch keeps the image).
  experiment_->open(context.options.file.empty() ? bundled_image_path() : context.options.file);
}

ImageMode::~ImageMode() = default;

void ImageMode::poll() { experiment_->poll(); }

void ImageMode::open(const std::string& path) { experiment_->open(path); }

void ImageMode::drop_files(const std::vector<std::string>& paths) {
  bool opened = false;
  for (const std::string& p : paths) {
    if (ends_with(p, ".safetensors")) {
      experiment_->load_model(p);
    } else if (!opened) {
      experiment_->open(p);
      opened = true;
    } else {
      context_.notices.warning("Only one image is trained at a time; ignored " + p + ".");
    }
  }
}

void ImageMode::toggle_training() { training_->toggle(); }
void ImageMode::single_step() { training_->single_step(); }
void ImageMode::reset() { training_->reset(); }

void ImageMode::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (io.KeyCtrl) {
    if (pressed(GLFW_KEY_O)) files_->focus_path();
    if (pressed(GLFW_KEY_S)) files_->save_model();
    return;
  }
  if (pressed(GLFW_KEY_Z) && views_) views_->reset_zoom();
}

std::string ImageMode::shortcut_help() const {
  return "Space start/pause  S step  R reset  Z whole image\nCtrl+O open  Ctrl+S save model  F12 screenshot";
}

void ImageMode::draw_sidebar() {
  files_->draw_image_section();
  draw_task_section();
  training_->draw();
  settings_->draw();
  files_->draw_output_section();
}

void ImageMode::draw_main() {
  if (ImGui::BeginTabBar("tabs")) {
    const std::string& tab = context_.options.tab;
    auto tab_flags = [&](const char* name) { return select_tab_ && tab == name ? ImGuiTabItemFlags_SetSelected : 0; };
    views_visible_ = views_ && ImGui::BeginTabItem("Fit and derivatives", nullptr, tab_flags("views"));
    if (views_visible_) {
      views_->draw();
      ImGui::EndTabItem();
    }
    if (compare_ && ImGui::BeginTabItem("Compare activations", nullptr, tab_flags("compare"))) {
      compare_->draw();
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Inspect layers", nullptr, tab_flags("inspect"))) {
      inspect_->draw();
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    select_tab_ = false;
  }
}

std::vector<ViewPlacement> ImageMode::placements() const {
  return views_ ? views_->placements() : std::vector<ViewPlacement>{};
}

bool ImageMode::views_show(uint64_t step, uint64_t generation) const {
  // Hidden views are not evaluated (they are updated when drawn): nothing to wait for then.
  return views_ && views_visible_ ? views_->shows(step, generation) : true;
}

std::pair<uint64_t, uint64_t> ImageMode::view_refreshes() const {
  if (!views_) return {0, 0};
  const NetworkFields::Counts c = views_->refresh_counts();
  return {c.values, c.derivatives};
}

void ImageMode::zoom_views(double factor) {
  if (views_) views_->zoom_to(factor);
}

bool ImageMode::start_compare(const std::vector<std::string>& names) {
  std::vector<Activation> acts;
  for (const std::string& n : names) {
    const auto a = parse_activation(n);
    if (!a) {
      context_.notices.error("Unknown activation '" + n + "' for the comparison.");
      return false;
    }
    acts.push_back(*a);
  }
  experiment_->start_compare(acts);
  return true;
}

std::vector<std::pair<std::string, std::shared_ptr<Session>>> ImageMode::compare_runs() const {
  std::vector<std::pair<std::string, std::shared_ptr<Session>>> out;
  for (const CompareRun& r : experiment_->compare_runs()) out.emplace_back(to_string(r.activation), r.session);
  return out;
}

std::string ImageMode::layout_json() const {
  nlohmann::json j;
  j["image"] = experiment_->image_path();
  if (experiment_->session()) {
    const RunSettings s = experiment_->settings();
    const NetworkConfig& net = s.session.network;
    j["settings"] = {{"image_size", s.image_size},
                     {"activation", to_string(net.activation)},
                     {"hidden_features", net.hidden_features},
                     {"hidden_layers", net.hidden_layers},
                     {"omega0", net.omega0},
                     {"lr", s.session.adam.lr},
                     {"batch", s.session.batch},
                     {"parameters", net.num_parameters()}};
  }
  return j.dump();
}

}  // namespace siren::studio
