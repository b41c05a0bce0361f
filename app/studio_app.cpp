#include "app/studio_app.h"

#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_internal.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

#include "app/assets.h"
#include "app/automation.h"
#include "app/frame_change.h"
#include "app/gl/shader.h"
#include "app/ui_util.h"
#include "app/views/field_renderer.h"
#include "core/backend/backend.h"
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

}  // namespace

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

  std::string shader_dir;
  try {
    shader_dir = find_shader_directory();
    renderer_ = std::make_unique<FieldRenderer>(shader_dir);
  } catch (const std::exception& e) {
    renderer_error_ = e.what();
    notices_.error(std::string("The views cannot be drawn: ") + e.what());
  }
  if (!parse_backend_kind(options.backend))
    notices_.error("Unknown backend '" + options.backend + "' (auto|cpu|cuda); using auto.");

  context_ = std::make_unique<ModeContext>(ModeContext{*background_, *view_worker_, notices_, *recent_, renderer_.get(),
                                                       options_, shader_dir,
                                                       [this](const std::string& p) { take_screenshot(p); },
                                                       automated});
  mode_ = make_mode(options.mode, *context_);
  if (!mode_) {
    std::string names;
    for (const std::string& n : mode_names()) names += (names.empty() ? "" : "|") + n;
    notices_.error("Unknown mode '" + options.mode + "' (" + names + "); showing image fitting.");
    mode_ = make_mode("image", *context_);
  }
  if (automated) automation_ = std::make_unique<Automation>(options);
}

StudioApp::~StudioApp() {
  // Threads first (they hold sessions and post results), then the GL objects while the context lives.
  view_worker_.reset();
  background_.reset();
  automation_.reset();
  retired_.clear();
  mode_.reset();
  context_.reset();
  renderer_.reset();
  if (imgui_ready_) {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }
  window_.reset();
}

void StudioApp::drop_files(const std::vector<std::string>& paths) { mode_->drop_files(paths); }

void StudioApp::switch_mode(const std::string& name) { requested_mode_ = name; }

void StudioApp::apply_mode_switch() {
  const std::string name = std::move(requested_mode_);
  requested_mode_.clear();
  if (name.empty() || name == mode_->name()) return;
  std::unique_ptr<Mode> next;
  try {
    next = make_mode(name, *context_);
  } catch (const std::exception& e) {
    notices_.error("Could not switch to the " + name + " mode: " + e.what());
    return;
  }
  if (!next) {
    notices_.error("Unknown mode '" + name + "'.");
    return;
  }
  mode_->retire();
  retired_.push_back(Retired{std::move(mode_), background_->mark(), view_worker_->mark()});
  mode_ = std::move(next);
  notices_.info("Switched to the " + name + " mode (" + mode_->title() + ").");
}

void StudioApp::destroy_retired() {
  // Jobs the old mode posted before it retired may still call into it; it posts nothing after
  // retire(), so once the jobs up to its marks are done none is left, however busy the threads stay
  // with the new mode's work. Its sessions ended on the background thread.
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [this](const Retired& r) {
                                  return background_->finished_through(r.background_mark) &&
                                         view_worker_->finished_through(r.view_mark);
                                }),
                 retired_.end());
}

void StudioApp::take_screenshot(const std::string& path) { screenshot_request_ = path; }

void StudioApp::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // typing a path must not start training
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (!io.KeyCtrl) {
    if (pressed(GLFW_KEY_SPACE)) mode_->toggle_training();
    if (pressed(GLFW_KEY_S)) mode_->single_step();
    if (pressed(GLFW_KEY_R)) mode_->reset();
    if (pressed(GLFW_KEY_F12)) {
      char name[64];
      const std::time_t t = std::time(nullptr);
      std::strftime(name, sizeof name, "siren-studio-%Y%m%d-%H%M%S.png", std::localtime(&t));
      take_screenshot(name);
    }
  }
  mode_->handle_shortcuts();
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
  ImGui::TextDisabled("- %s", mode_->title().c_str());
  ImGui::SameLine(ImGui::GetContentRegionMax().x - 90.0f);
  ImGui::SetNextItemWidth(90.0f);
  const std::string current = mode_->name();
  if (ImGui::BeginCombo("##mode", current.c_str())) {
    for (const std::string& n : mode_names())
      if (ImGui::Selectable(n.c_str(), n == current)) switch_mode(n);
    ImGui::EndCombo();
  }
  tooltip("Experiment: image (fit an image), poisson (reconstruct an image from its gradient or\n"
          "Laplacian), blend (Poisson image editing of two images). Switching ends the current runs.");
  ImGui::PushItemWidth(-110.0f);
  mode_->draw_sidebar();
  ImGui::PopItemWidth();
  section("Messages");
  const std::string help = mode_->shortcut_help();
  const int help_lines = 1 + int(std::count(help.begin(), help.end(), '\n'));
  notices_.draw_list(std::max(60.0f, ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * help_lines));
  ImGui::TextDisabled("%s", help.c_str());
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
  mode_->draw_main();
  ImGui::End();
}

void StudioApp::draw_ui() {
  handle_shortcuts();
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float sidebar = std::min(kSidebarWidth, vp->WorkSize.x * 0.4f);
  draw_sidebar(sidebar);
  draw_main(sidebar, vp->WorkSize.x - sidebar);
  // A --screenshot shows the window as it settles, for the README and the tests: the notices are in the
  // Messages list (and the layout JSON) rather than over the views a few seconds after the start.
  if (options_.screenshot.empty()) notices_.draw_toasts(vp->WorkPos.x + vp->WorkSize.x, vp->WorkPos.y + 24.0f);
}

bool StudioApp::frame() {
  glfwPollEvents();
  apply_mode_switch();
  destroy_retired();
  mode_->poll();
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
    // The mode outlives this job: a mode switched away from is kept until the jobs posted before it
    // retired (this one included) have finished.
    Mode* mode = mode_.get();
    background_->post([mode, path, pixels, w, h] {
      try {
        io::save_png(path, w, h, 3, *pixels);
        mode->report_info("Saved a screenshot to " + path);
      } catch (const std::exception& e) {
        mode->report_error("Could not save the screenshot: " + std::string(e.what()));
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
