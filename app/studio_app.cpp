#include "app/studio_app.h"

#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_internal.h>
#include <imgui_impl_opengl3.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "app/automation.h"
#include "app/frame_change.h"
#include "app/defaults.h"
#include "app/gl/shader.h"
#include "app/panels/compare_panel.h"
#include "app/panels/file_panel.h"
#include "app/panels/inspect_panel.h"
#include "app/panels/settings_panel.h"
#include "app/panels/training_panel.h"
#include "app/panels/views_panel.h"
#include "app/ui_util.h"
#include "app/views/field_renderer.h"
#include "core/io/image.h"
#include "core/util/error.h"

namespace siren::studio {

namespace {

constexpr float kSidebarWidth = 390.0f;
constexpr double kActiveSeconds = 1.0;  // frames at the display's rate for this long after any input
// The two windows that tile the screen leave their background to the clear colour: a blended
// full-screen quad is the costliest thing a software rasteriser draws here.
constexpr ImGuiWindowFlags kBackgroundFromClear = ImGuiWindowFlags_NoBackground;
const ImVec4 kBackground(0.06f, 0.06f, 0.07f, 1.0f);
// Training threads yield to view evaluation, which yields to the UI thread (see background.h).
constexpr int kBackgroundNice = 10;
constexpr int kViewWorkerNice = 5;

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::string executable_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, size_t(n));
  return p.substr(0, p.rfind('/'));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string bundled_image_path() {
  if (const char* env = std::getenv("SIREN_ASSETS_DIR"); env && *env) return std::string(env) + "/camera.png";
  const std::string exe = executable_dir();
  for (const std::string& dir : {exe + "/assets", exe + "/../assets"})
    if (exists(dir + "/camera.png")) {
      // The path is shown to the user: without the "build/.." detour.
      char* real = realpath((dir + "/camera.png").c_str(), nullptr);
      const std::string path = real ? real : dir + "/camera.png";
      std::free(real);
      return path;
    }
#ifdef SIREN_ASSETS_DIR
  return std::string(SIREN_ASSETS_DIR) + "/camera.png";
#else
  return "assets/camera.png";
#endif
}

StudioApp::StudioApp(const StudioOptions& options) : options_(options) {
  window_ = std::make_unique<Window>(options.width, options.height, "SIREN Studio");
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; no imgui.ini in the user's folder
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0.0f;
  ImGui::GetStyle().Colors[ImGuiCol_WindowBg] = kBackground;
  ImGui_ImplGlfw_InitForOpenGL(window_->handle(), true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  imgui_ready_ = true;
  window_->on_drop([this](const std::vector<std::string>& paths) { drop_files(paths); });

  const bool automated = options.steps || !options.screenshot.empty() || !options.drops.empty() ||
                         !options.compare.empty() || options.zoom != 1;
  recent_ = std::make_unique<RecentFiles>(!automated);
  background_ = std::make_unique<JobThread>("background", kBackgroundNice);
  view_worker_ = std::make_unique<JobThread>("view", kViewWorkerNice);

  try {
    renderer_ = std::make_unique<FieldRenderer>(find_shader_directory());
  } catch (const std::exception& e) {
    renderer_error_ = e.what();
    notices_.error(std::string("The views cannot be drawn: ") + e.what());
  }

  BackendKind backend = BackendKind::Auto;
  if (auto b = parse_backend_kind(options.backend)) backend = *b;
  else notices_.error("Unknown backend '" + options.backend + "' (auto|cpu|cuda); using auto.");
  RunSettings settings = default_settings(backend_is_gpu(backend));
  if (backend == BackendKind::Cuda) settings.session.backend = BackendKind::Cuda;
  if (options.lr) settings.session.adam.lr = *options.lr;
  if (options.mode != "image")
    notices_.error("Mode '" + options.mode + "' is not available in this version of the GUI; showing image fitting.");

  experiment_ = std::make_unique<Experiment>(*background_, notices_, settings);
  experiment_->set_fallback(bundled_image_path());
  experiment_->set_autostart(!automated);
  experiment_->on_opened([this](const std::string& p) { recent_->add(p); });

  training_ = std::make_unique<TrainingPanel>(*experiment_);
  settings_ = std::make_unique<SettingsPanel>(*experiment_);
  files_ = std::make_unique<FilePanel>(*experiment_, *recent_, [this](const std::string& p) { take_screenshot(p); });
  if (renderer_) {
    views_ = std::make_unique<ViewsPanel>(*renderer_, *view_worker_, *experiment_);
    compare_ = std::make_unique<ComparePanel>(*renderer_, *view_worker_, *experiment_);
  }
  inspect_ = std::make_unique<InspectPanel>(*view_worker_, *experiment_);
  if (automated) automation_ = std::make_unique<Automation>(options);

  experiment_->open(options.file.empty() ? bundled_image_path() : options.file);
}

StudioApp::~StudioApp() {
  // Threads first (they hold sessions and post results), then the GL objects while the context lives.
  view_worker_.reset();
  background_.reset();
  automation_.reset();
  inspect_.reset();
  compare_.reset();
  views_.reset();
  files_.reset();
  settings_.reset();
  training_.reset();
  experiment_.reset();
  renderer_.reset();
  if (imgui_ready_) {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }
  window_.reset();
}

void StudioApp::drop_files(const std::vector<std::string>& paths) {
  bool opened = false;
  for (const std::string& p : paths) {
    if (ends_with(p, ".safetensors")) {
      experiment_->load_model(p);
    } else if (!opened) {
      experiment_->open(p);
      opened = true;
    } else {
      notices_.warning("Only one image is trained at a time; ignored " + p + ".");
    }
  }
}

std::vector<ViewPlacement> StudioApp::placements() const {
  return views_ ? views_->placements() : std::vector<ViewPlacement>{};
}

bool StudioApp::views_show(uint64_t step, uint64_t generation) const {
  // Hidden views are not evaluated (they are updated when drawn): nothing to wait for then.
  return views_ && views_visible_ ? views_->shows(step, generation) : true;
}

std::pair<uint64_t, uint64_t> StudioApp::view_refreshes() const {
  if (!views_) return {0, 0};
  const NetworkFields::Counts c = views_->refresh_counts();
  return {c.values, c.derivatives};
}

void StudioApp::zoom_views(double factor) {
  if (views_) views_->zoom_to(factor);
}

void StudioApp::take_screenshot(const std::string& path) { screenshot_request_ = path; }

void StudioApp::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // typing a path must not start training
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (io.KeyCtrl) {
    if (pressed(GLFW_KEY_O)) files_->focus_path();
    if (pressed(GLFW_KEY_S)) files_->save_model();
    return;
  }
  if (pressed(GLFW_KEY_SPACE)) training_->toggle();
  if (pressed(GLFW_KEY_S)) training_->single_step();
  if (pressed(GLFW_KEY_R)) training_->reset();
  if (pressed(GLFW_KEY_Z) && views_) views_->reset_zoom();
  if (pressed(GLFW_KEY_F12)) files_->screenshot();
}

void StudioApp::draw_sidebar(float width) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(ImVec2(width, vp->WorkSize.y));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoTitleBar |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus | kBackgroundFromClear;
  ImGui::Begin("SIREN Studio", nullptr, flags);
  ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1.0f), "SIREN Studio");
  ImGui::SameLine();
  ImGui::TextDisabled("- fitting an image");
  ImGui::PushItemWidth(-110.0f);
  files_->draw_image_section();
  training_->draw();
  settings_->draw();
  files_->draw_output_section();
  ImGui::PopItemWidth();
  section("Messages");
  notices_.draw_list(std::max(60.0f, ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 2));
  ImGui::TextDisabled("Space start/pause  S step  R reset  Z whole image");
  ImGui::TextDisabled("Ctrl+O open  Ctrl+S save model  F12 screenshot");
  ImGui::End();
}

void StudioApp::draw_main(float x, float width) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + x, vp->WorkPos.y));
  ImGui::SetNextWindowSize(ImVec2(width, vp->WorkSize.y));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoTitleBar |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollbar |
                                 kBackgroundFromClear;
  ImGui::Begin("Views", nullptr, flags);
  if (!renderer_) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1.0f));
    ImGui::TextWrapped("The views cannot be drawn: %s", renderer_error_.c_str());
    ImGui::PopStyleColor();
    ImGui::TextWrapped("Training still runs; fix the shader folder (or SIREN_SHADER_DIR) and restart to see it.");
  }
  if (ImGui::BeginTabBar("tabs")) {
    auto tab_flags = [this](const char* name) {
      return select_tab_ && options_.tab == name ? ImGuiTabItemFlags_SetSelected : 0;
    };
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
  ImGui::End();
}

void StudioApp::draw_ui() {
  handle_shortcuts();
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float sidebar = std::min(kSidebarWidth, vp->WorkSize.x * 0.4f);
  draw_sidebar(sidebar);
  draw_main(sidebar, vp->WorkSize.x - sidebar);
  notices_.draw_toasts(vp->WorkPos.x + vp->WorkSize.x, vp->WorkPos.y + 24.0f);
}

bool StudioApp::frame() {
  glfwPollEvents();
  experiment_->poll();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  try {
    draw_ui();
  } catch (const std::exception& e) {
    // A bug in a panel must not take the user's run with it: close what it left open and go on.
    ImGui::ErrorCheckEndFrameRecover(nullptr);
    notices_.error(std::string("Internal error while drawing: ") + e.what());
  }
  ImGui::Render();
  int w = 0, h = 0;
  window_->framebuffer_size(&w, &h);
  // Every frame handles input and polls the runs; only a frame that looks different is rendered.
  const bool changed = frame_change_.changed(ImGui::GetDrawData(), w, h, FieldView::redraws());
  const bool render = changed || window_->take_damage() || !screenshot_request_.empty() ||
                      (automation_ && automation_->wants_render());
  if (render) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, w, h);
    glClearColor(kBackground.x, kBackground.y, kBackground.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  }
  if (!screenshot_request_.empty()) {
    const std::string path = std::move(screenshot_request_);
    screenshot_request_.clear();
    auto pixels = std::make_shared<std::vector<uint8_t>>(read_window_pixels(w, h));
    Experiment* exp = experiment_.get();
    background_->post([exp, path, pixels, w, h] {
      try {
        io::save_png(path, w, h, 3, *pixels);
        exp->report(NoticeLevel::Info, "Saved a screenshot to " + path);
      } catch (const std::exception& e) {
        exp->report(NoticeLevel::Error, "Could not save the screenshot: " + std::string(e.what()));
      }
    });
  }
  if (automation_ && automation_->after_render(*this, render)) window_->request_close();
  if (render) glfwSwapBuffers(window_->handle());
  return render;
}

int StudioApp::run() {
  using Clock = std::chrono::steady_clock;
  // While the user interacts, frames run at the display's rate, paced here because swapping may not
  // wait for the display (virtual displays, drivers without vsync). Otherwise nothing needs a frame
  // before the next refresh slot (ui_util.h) or the next event, so the loop waits for either: an idle
  // UI takes no CPU from training, and input still gets a frame at once.
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / window_->refresh_rate()));
  auto next = Clock::now();
  while (!window_->should_close()) {
    const auto start = Clock::now();
    if (automation_) automation_->frame_started(start);
    bool rendered = false;
    try {
      rendered = frame();
    } catch (const std::exception& e) {
      notices_.error(std::string("Internal error: ") + e.what());
    }
    if (automation_) automation_->frame_finished(std::chrono::duration<double, std::milli>(Clock::now() - start).count(), rendered);
    next += period;
    const auto now = Clock::now();
    if (next < now) next = now;  // late: start the next frame at once, do not try to catch up
    const bool interacting = options_.active || glfwGetTime() - window_->last_input() < kActiveSeconds ||
                             (automation_ && automation_->wants_render());
    if (interacting) {
      std::this_thread::sleep_until(next);
    } else {
      const double t = seconds_now();
      const double to_slot = (std::floor(t / kLiveRefreshSeconds) + 1) * kLiveRefreshSeconds - t;
      glfwWaitEventsTimeout(std::max(to_slot, 0.0) + 0.001);
      next = Clock::now();
    }
  }
  return automation_ ? automation_->exit_code() : 0;
}

}  // namespace siren::studio
