#include "app/automation.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "app/gl/texture.h"
#include "app/gl/window.h"
#include "app/studio_app.h"
#include "core/io/image.h"
#include "core/session/session.h"
#include "core/util/file_io.h"

namespace siren::studio {

namespace {
constexpr double kTimeoutSeconds = 300.0;
constexpr int kWarmupFrames = 10;  // first frames build fonts and render targets: not representative
constexpr int kIdleFrames = 90;

nlohmann::json summary(std::vector<double> ms) {
  nlohmann::json j;
  j["frames"] = ms.size();
  if (ms.empty()) return j;
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  auto pct = [&](double q) { return ms[std::min(ms.size() - 1, size_t(std::floor(q * double(ms.size() - 1) + 0.5)))]; };
  j["mean_ms"] = sum / double(ms.size());
  j["median_ms"] = pct(0.5);
  j["p95_ms"] = pct(0.95);
  j["p99_ms"] = pct(0.99);
  j["max_ms"] = ms.back();
  return j;
}
}  // namespace

Automation::Automation(const StudioOptions& options) : options_(options) {
  if (!options_.screenshot.empty() && !options_.steps) options_.steps = kDefaultScreenshotSteps;
  phase_start_ = started_;
}

void Automation::frame_started(Clock::time_point now) {
  last_interval_ms_ = have_last_frame_ ? std::chrono::duration<double, std::milli>(now - last_frame_).count() : 0.0;
  have_last_frame_ = true;
  last_frame_ = now;
  if (recording_) recording_->interval_ms.push_back(last_interval_ms_);
}

void Automation::frame_finished(double work_ms, bool rendered) {
  if (!recording_) return;
  recording_->work_ms.push_back(work_ms);
  if (rendered) recording_->render_ms.push_back(work_ms);
}

bool Automation::views_current(StudioApp& app) const {
  const auto session = app.mode().session();
  if (!session || app.mode().loading()) return false;
  const WeightsSnapshot snap = session->snapshot();
  return app.mode().views_show(snap.step, snap.generation);
}

bool Automation::after_render(StudioApp& app, bool rendered) {
  const Clock::time_point now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  if (elapsed > kTimeoutSeconds && phase_ != Phase::Done) {
    app.notices().error("automation: timed out");
    exit_code_ = 1;
    if (!options_.screenshot.empty()) capture(app, "timed out in the automated run");
    phase_ = Phase::Done;
    return !options_.screenshot.empty();
  }
  ++phase_frames_;
  auto go = [&](Phase p) {
    phase_ = p;
    phase_frames_ = 0;
    phase_start_ = now;
  };
  Mode& mode = app.mode();
  switch (phase_) {
    case Phase::WaitImage:
      if (phase_frames_ == 1 && !options_.screenshot.empty()) {
        // The virtual display's pointer sits mid-screen, over a view: park it where no tooltip opens.
        int w = 0, h = 0;
        glfwGetWindowSize(app.window().handle(), &w, &h);
        if (options_.pointer.size() == 2) glfwSetCursorPos(app.window().handle(), options_.pointer[0], options_.pointer[1]);
        else glfwSetCursorPos(app.window().handle(), w - 3, 3);
      }
      if (views_current(app)) {
        if (!options_.switch_to.empty()) {
          app.switch_mode(options_.switch_to);
          go(Phase::WaitSwitched);
          break;
        }
        if (options_.zoom != 1) mode.zoom_views(options_.zoom);
        go(options_.drops.empty() ? Phase::Idle : Phase::Drop);
      }
      break;
    case Phase::WaitSwitched:
      // The switch happens at the start of a frame; then the new mode loads its data like the first.
      if (mode.name() == options_.switch_to && views_current(app)) go(options_.drops.empty() ? Phase::Idle : Phase::Drop);
      break;
    case Phase::Drop:
      app.drop_files(options_.drops);
      go(Phase::WaitDropped);
      break;
    case Phase::WaitDropped:
      if (views_current(app)) go(Phase::Idle);
      break;
    case Phase::Idle:
      // Frames with nothing training (all rendered): the baseline the training frames are held against.
      if (options_.screenshot.empty()) {
        go(Phase::Train);
      } else if (phase_frames_ == kWarmupFrames) {
        recording_ = &idle_;
      } else if (recording_ && int(idle_.interval_ms.size()) >= kIdleFrames) {
        go(Phase::Train);
      }
      if (phase_ == Phase::Train) {
        train_steps_ = options_.steps.value_or(0);
        if (!options_.compare.empty()) {
          if (!mode.start_compare(options_.compare)) {
            app.notices().error("automation: the " + mode.name() + " mode has no comparison");
            exit_code_ = 1;
          }
        } else {
          const auto session = mode.session();
          train_from_ = session->status().step;
          if (train_steps_ > 0) session->step(train_steps_);
        }
        recording_ = &train_;
        refreshes_at_start_ = mode.view_refreshes();
      }
      break;
    case Phase::Train: {
      bool done = true;
      if (!options_.compare.empty()) {
        // The comparison runs train continuously: each is paused once it has taken the steps asked
        // for (give or take the step in flight), so the picture compares them at the same point.
        const auto runs = mode.compare_runs();
        done = !runs.empty() || !mode.comparing();
        for (const auto& [name, session] : runs) {
          const SessionStatus st = session->status();
          if (st.step >= train_steps_ && st.state == SessionState::Running) session->pause();
          done = done && (st.step >= train_steps_ || st.state == SessionState::Failed);
        }
      } else {
        const SessionStatus st = mode.session()->status();
        done = st.step >= train_from_ + train_steps_ || st.state == SessionState::Failed;
      }
      if (done) {
        train_seconds_ = std::chrono::duration<double>(now - phase_start_).count();
        refreshes_at_end_ = mode.view_refreshes();
        recording_ = nullptr;
        go(options_.screenshot.empty() ? Phase::Done : Phase::Settle);
      }
      break;
    }
    case Phase::Settle:
      // The final weights must be on screen: wait for the views to show them (compare views refresh on
      // their own; half a second covers them), then capture on the next frame.
      if (views_current(app) && (options_.compare.empty() || phase_frames_ > 30)) go(Phase::Capture);
      break;
    case Phase::Capture:
      if (!rendered) break;
      capture(app, "");
      go(Phase::Done);
      return true;
    case Phase::Done:
      break;
  }
  return false;
}

void Automation::capture(StudioApp& app, const std::string& failure) {
  int w = 0, h = 0;
  app.window().framebuffer_size(&w, &h);
  const std::vector<uint8_t> pixels = read_window_pixels(w, h);
  nlohmann::json j;
  try {
    io::save_png(options_.screenshot, w, h, 3, pixels);
  } catch (const std::exception& e) {
    j["screenshot_error"] = e.what();
    exit_code_ = 1;
  }
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  j["screenshot"] = options_.screenshot;
  j["size"] = {w, h};
  const GlContextInfo& gl = app.window().context();
  j["gl"] = {{"version", gl.version}, {"renderer", gl.renderer}, {"context", std::to_string(gl.major) + "." + std::to_string(gl.minor)}};
  nlohmann::json views = nlohmann::json::array();
  Mode& mode = app.mode();
  for (const ViewPlacement& v : mode.placements()) {
    const int x0 = int(std::lround(v.min.x * scale.x)), y0 = int(std::lround(v.min.y * scale.y));
    const int x1 = int(std::lround(v.max.x * scale.x)), y1 = int(std::lround(v.max.y * scale.y));
    views.push_back({{"id", v.id}, {"label", v.label}, {"rect", {x0, y0, x1 - x0, y1 - y0}}});
  }
  j["views"] = views;
  nlohmann::json notices = nlohmann::json::array();
  for (const Notice& n : app.notices().all()) notices.push_back({{"level", to_string(n.level)}, {"text", n.text}});
  j["notices"] = notices;
  // Intervals between frame starts (what the user sees; frames are paced to the display's rate) and the
  // work of the frames that rendered (frames whose picture did not change are not rendered again).
  j["frame_interval_ms"] = {{"idle", summary(idle_.interval_ms)}, {"training", summary(train_.interval_ms)}};
  j["render_ms"] = {{"idle", summary(idle_.render_ms)}, {"training", summary(train_.render_ms)}};
  j["frame_work_ms"] = {{"idle", summary(idle_.work_ms)}, {"training", summary(train_.work_ms)}};

  if (const auto session = mode.session()) {
    const SessionStatus st = session->status();
    const std::vector<MetricSample> hist = session->history();
    nlohmann::json t;
    t["steps"] = st.step - std::min(st.step, train_from_);
    t["requested_steps"] = train_steps_;
    t["wall_seconds"] = train_seconds_;
    // The session's own clock for the steps (from its first step to its last), without frame granularity.
    if (!hist.empty() && hist.back().seconds > 0) t["steps_per_second"] = double(hist.size()) / hist.back().seconds;
    t["final_loss"] = st.loss;
    if (st.psnr_db) t["psnr_db"] = *st.psnr_db;
    if (train_seconds_ > 0) {
      // How often the main views showed new weights while training (values: fit and error).
      t["view_refresh_hz"] = {
          {"values", double(refreshes_at_end_.first - refreshes_at_start_.first) / train_seconds_},
          {"derivatives", double(refreshes_at_end_.second - refreshes_at_start_.second) / train_seconds_}};
    }
    t["backend"] = st.backend;
    t["device"] = st.device;
    j["training"] = t;
  }
  j["mode"] = mode.name();
  try {
    const nlohmann::json extra = nlohmann::json::parse(mode.layout_json());
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  } catch (const std::exception& e) {
    j["layout_error"] = e.what();
  }
  j["zoom"] = options_.zoom;
  nlohmann::json compare = nlohmann::json::array();
  for (const auto& [name, session] : mode.compare_runs()) {
    const SessionStatus st = session->status();
    nlohmann::json c = {{"activation", name}, {"step", st.step}, {"loss", st.loss}};
    if (st.psnr_db) c["psnr_db"] = *st.psnr_db;
    compare.push_back(c);
  }
  j["compare"] = compare;
  if (!failure.empty()) j["error"] = failure;
  try {
    write_file_atomically(options_.screenshot + ".json", {j.dump(2) + "\n"});
  } catch (const std::exception& e) {
    app.notices().error(std::string("automation: ") + e.what());
    exit_code_ = 1;
  }
}

}  // namespace siren::studio
