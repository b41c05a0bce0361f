#include "app/modes/sdf/sdf_views.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>

#include "app/modes/sdf/volume_grid.h"
#include "app/panels/line_plot.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {
// post_latest keys of the view worker, apart from the other modes' so that they never replace each other.
constexpr int kVolumeKey = 6001;
constexpr int kPreciseKey = 6002;
// A volume refresh waits at least this long after the previous one, and at least as long as that one
// took: the view worker then takes at most half of a core from training for it.
constexpr double kVolumeMinInterval = 0.25;
// The precise view traces for about this long per job, then shows what it has and queues the rest.
constexpr double kPreciseSliceSeconds = 0.12;
constexpr size_t kPreciseRayBudget = 2048;
// While training, a finished precise picture is traced again for newer weights at most this often.
constexpr double kPreciseRestartSeconds = 1.0;
constexpr float kBackground[3] = {0.12f, 0.12f, 0.14f};  // the shader's u_background
constexpr float kPlotHeight = 140.0f;

bool same_camera(const render::TraceCamera& a, const render::TraceCamera& b) {
  return a.eye == b.eye && a.right == b.right && a.up == b.up && a.forward == b.forward && a.fov_y == b.fov_y;
}

ImTextureID texture_id(GLuint tex) { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)); }

// The precise view's colours: the ray-marched view's normal or lit shading, without shadows or
// occlusion (each costs as many network evaluations again as the picture itself).
void shade(const render::TraceImage& img, const render::TraceCamera& cam, SdfShading shading, std::vector<float>& rgb) {
  const size_t n = size_t(img.width) * img.height;
  rgb.resize(n * 3);
  const render::Vec3f light = view_light(cam);
  for (size_t i = 0; i < n; ++i) {
    float* c = &rgb[i * 3];
    if (img.state[i] != render::PixelState::Hit) {
      std::copy(kBackground, kBackground + 3, c);
      continue;
    }
    const float* nrm = &img.normal[i * 3];
    if (shading == SdfShading::Normals) {
      for (int k = 0; k < 3; ++k) c[k] = nrm[k] * 0.5f + 0.5f;
      continue;
    }
    const render::Vec3f d = cam.ray_direction(double(i % size_t(img.width)), double(i / size_t(img.width)), img.width, img.height);
    const float diffuse = std::max(0.0f, nrm[0] * light[0] + nrm[1] * light[1] + nrm[2] * light[2]);
    render::Vec3f h{light[0] - d[0], light[1] - d[1], light[2] - d[2]};
    const float hl = std::sqrt(h[0] * h[0] + h[1] * h[1] + h[2] * h[2]);
    const float nh = hl > 0 ? std::max(0.0f, (nrm[0] * h[0] + nrm[1] * h[1] + nrm[2] * h[2]) / hl) : 0.0f;
    const float spec = diffuse > 0 ? 0.25f * std::pow(nh, 40.0f) : 0.0f;
    const float sky = 0.5f + 0.5f * nrm[2];
    const float base[3] = {0.82f, 0.78f, 0.70f};
    for (int k = 0; k < 3; ++k) c[k] = std::min(1.0f, base[k] * (0.75f * diffuse + 0.12f + 0.18f * sky) + spec);
  }
}
}  // namespace

struct SdfViews::VolumeResult {
  uint64_t session = 0;  // Session::id()
  uint64_t step = 0, generation = 0;
  int n = 0;
  std::vector<float> values;
  double seconds = 0;
  std::string error;
};

struct SdfViews::PreciseFrame {
  uint64_t serial = 0, step = 0, generation = 0;
  uint64_t session = 0;  // Session::id()
  int width = 0, height = 0, passes = 0, total_passes = 0;
  bool done = false;
  std::vector<float> rgb;
  std::string error;
};

struct SdfViews::Shared {
  Mailbox<VolumeResult> volume;
  Mailbox<PreciseFrame> precise;
  std::atomic<uint64_t> precise_serial{0};
  // The grid's points, kept for the next refresh at the same resolution (view worker only).
  int grid_n = 0;
  std::vector<float> grid;
};

SdfViews::SdfViews(SdfRenderer* renderer, JobThread& view_worker)
    : renderer_(renderer), view_worker_(view_worker), shared_(std::make_shared<Shared>()) {}

SdfViews::~SdfViews() { stop(); }

void SdfViews::stop() { ++shared_->precise_serial; }  // a trace still queued stops at its next slice

void SdfViews::zoom(double factor) { camera_.zoom(std::log(factor) / -std::log(0.85)); }

void SdfViews::request_volume(const std::shared_ptr<Session>& session, int n) {
  const WeightsSnapshot snap = session->snapshot();
  if (!snap.params) return;
  volume_pending_ = true;
  view_worker_.post_latest(kVolumeKey, [shared = shared_, session, snap, n] {
    VolumeResult r;
    r.session = session->id();
    r.step = snap.step;
    r.generation = snap.generation;
    r.n = n;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (shared->grid_n != n) {
        shared->grid = volume_grid_points(n);
        shared->grid_n = n;
      }
      r.values = session->evaluate(snap, shared->grid.data(), size_t(n) * n * n, JetMode::Value).value;
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    shared->volume.put(std::move(r));
  });
}

void SdfViews::precise_slice(std::shared_ptr<Shared> shared, JobThread* worker, uint64_t serial,
                             std::shared_ptr<Session> session, WeightsSnapshot snap,
                             std::shared_ptr<render::SphereTracer> tracer, SdfShading shading) {
  if (shared->precise_serial != serial) return;
  PreciseFrame f;
  f.serial = serial;
  f.step = snap.step;
  f.generation = snap.generation;
  f.session = session->id();
  f.width = tracer->image().width;
  f.height = tracer->image().height;
  try {
    const render::SdfEvaluator sdf = [&](const float* p, size_t n, JetMode mode) {
      return session->evaluate(snap, p, n, mode);
    };
    const auto t0 = std::chrono::steady_clock::now();
    const int pass = tracer->passes_done();
    // The first pass is shown as soon as it is complete, however short the slice.
    while (!tracer->advance(sdf, kPreciseRayBudget) && shared->precise_serial == serial &&
           (pass == 0 ? tracer->passes_done() == 0
                      : std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < kPreciseSliceSeconds)) {
    }
    shade(tracer->image(), tracer->camera(), shading, f.rgb);
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  f.passes = tracer->passes_done();
  f.total_passes = tracer->passes();
  f.done = tracer->done() || !f.error.empty();
  const bool more = !f.done;
  shared->precise.put(std::move(f));
  if (more && shared->precise_serial == serial)
    worker->post_latest(kPreciseKey, [shared, worker, serial, session, snap, tracer, shading] {
      precise_slice(shared, worker, serial, session, snap, tracer, shading);
    });
}

void SdfViews::request_precise(const std::shared_ptr<Session>& session, const WeightsSnapshot& snap, int w, int h,
                               const SdfLook& look) {
  precise_serial_ = ++shared_->precise_serial;
  precise_camera_ = camera_.trace_camera();
  precise_w_ = w;
  precise_h_ = h;
  precise_shading_ = look.shading == SdfShading::Normals ? SdfShading::Normals : SdfShading::Lit;
  precise_session_ = session->id();
  precise_generation_ = snap.generation;
  precise_step_ = snap.step;
  precise_done_ = false;
  auto tracer = std::make_shared<render::SphereTracer>(precise_camera_, w, h);
  view_worker_.post_latest(kPreciseKey, [shared = shared_, worker = &view_worker_, serial = precise_serial_, session,
                                         snap, tracer, shading = precise_shading_] {
    precise_slice(shared, worker, serial, session, snap, tracer, shading);
  });
}

void SdfViews::collect() {
  if (std::optional<VolumeResult> r = shared_->volume.take()) {
    volume_pending_ = false;
    volume_ready_at_ = seconds_now() + std::max(kVolumeMinInterval, r->seconds);
    if (r->error.empty() && r->values.size() == size_t(r->n) * r->n * r->n) {
      volume_.upload(r->n, r->values.data());
      volume_step_ = r->step;
      volume_generation_ = r->generation;
      volume_session_ = r->session;
      ++volume_refreshes_;
    }
  }
  if (std::optional<PreciseFrame> f = shared_->precise.take()) {
    if (f->serial == precise_serial_ && f->error.empty()) {
      precise_texture_.upload(f->width, f->height, 3, f->rgb.data());
      precise_passes_ = f->passes;
      precise_total_passes_ = f->total_passes;
      precise_has_frame_ = true;
      precise_frame_serial_ = f->serial;
      ++precise_frames_;
    }
    if (f->serial == precise_serial_) precise_done_ = f->done;
  }
}

bool SdfViews::interact(float side, bool ray_marched_view, SdfViewOptions& options) {
  ImGuiIO& io = ImGui::GetIO();
  const ImVec2 min = ImGui::GetItemRectMin();
  bool changed = false;
  if (ImGui::IsItemHovered() && io.MouseWheel != 0.0f) {
    camera_.zoom(io.MouseWheel);
    changed = true;
  }
  if (ImGui::IsItemActivated()) {
    drag_ = Drag::Orbit;
    if (io.MouseDown[1] || io.MouseDown[2] || io.KeyShift) drag_ = Drag::Pan;
    if (drag_ == Drag::Orbit && ray_marched_view && options.look.shading == SdfShading::Slice) {
      // A press on the slice plane drags the plane along its normal.
      const int axis = options.look.slice_axis;
      const render::TraceCamera cam = camera_.trace_camera();
      const render::Vec3f d = cam.ray_direction(io.MousePos.x - min.x - 0.5, io.MousePos.y - min.y - 0.5, int(side), int(side));
      if (std::fabs(d[size_t(axis)]) > 1e-6f) {
        const double t = (options.look.slice_offset - cam.eye[size_t(axis)]) / d[size_t(axis)];
        OrbitCamera::Vec3 q{cam.eye[0] + t * d[0], cam.eye[1] + t * d[1], cam.eye[2] + t * d[2]};
        const bool on_plane = t > 0 && std::fabs(q[0]) <= 1 && std::fabs(q[1]) <= 1 && std::fabs(q[2]) <= 1;
        OrbitCamera::Vec3 q1 = q;
        q1[size_t(axis)] += 0.1;
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (on_plane && camera_.project(q, int(side), int(side), x0, y0) && camera_.project(q1, int(side), int(side), x1, y1)) {
          const double vx = x1 - x0, vy = y1 - y0, len2 = vx * vx + vy * vy;
          if (len2 > 1.0) {  // the normal is not pointing at the viewer: its screen direction is usable
            drag_ = Drag::Plane;
            plane_drag_per_pixel_[0] = 0.1 * vx / len2;
            plane_drag_per_pixel_[1] = 0.1 * vy / len2;
          }
        }
      }
    }
  }
  if (ImGui::IsItemActive() && (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f)) {
    const double dx = io.MouseDelta.x, dy = io.MouseDelta.y;
    if (drag_ == Drag::Orbit) camera_.orbit(dx, dy, side);
    if (drag_ == Drag::Pan) camera_.pan(dx, dy, side);
    if (drag_ == Drag::Plane)
      options.look.slice_offset = float(std::clamp(options.look.slice_offset + dx * plane_drag_per_pixel_[0] +
                                                       dy * plane_drag_per_pixel_[1], -1.0, 1.0));
    changed = true;
  }
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    camera_.reset();
    changed = true;
  }
  if (ImGui::IsItemHovered() && !ImGui::IsItemActive())
    ImGui::SetTooltip("%s\nDrag to orbit, right-drag (or Shift+drag) to pan, scroll to zoom, double-click to reset "
                      "the camera.%s",
                      ray_marched_view ? "The zero level set sphere-traced in a shader over a grid of the network's values."
                                       : "The network itself sphere-traced on the backend, normals from its exact gradient.",
                      ray_marched_view && options.look.shading == SdfShading::Slice ? "\nDrag the slice plane to move it." : "");
  return changed;
}

ViewPlacement SdfViews::view_square(const char* id, const char* label, float side, bool ray_marched,
                                    SdfViewOptions& options) {
  ImGui::TextUnformatted(label);
  const ImVec2 min = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, ImVec2(side, side),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  interact(side, ray_marched, options);
  return {id, label, min, ImVec2(min.x + side, min.y + side)};
}

void SdfViews::draw_placeholder(const ImVec2& min, const ImVec2& max, const char* text) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(min, max, IM_COL32(30, 30, 36, 255));
  dl->AddText(ImVec2(min.x + 8, min.y + 8), IM_COL32(160, 160, 160, 255), text);
}

void SdfViews::draw_ray_marched(float side, SdfViewOptions& options) {
  ImGui::BeginGroup();
  char label[128];
  std::snprintf(label, sizeof label, "Ray-marched volume (%d^3, step %llu)", volume_.valid() ? volume_.size() : options.volume_resolution,
                static_cast<unsigned long long>(volume_step_));
  ray_marched_place_ = view_square("sdf_raymarch", label, side, true, options);
  const ImVec2 min = ray_marched_place_.min, max = ray_marched_place_.max;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (renderer_ && volume_.valid()) {
    const ImVec2 fb = ImGui::GetIO().DisplayFramebufferScale;
    const int w = std::max(16, int(std::lround(side * fb.x * options.render_scale)));
    const int h = std::max(16, int(std::lround(side * fb.y * options.render_scale)));
    const render::TraceCamera cam = camera_.trace_camera();
    if (!drawn_once_ || drawn_volume_ != volume_.version() || drawn_look_ != options.look || !same_camera(cam, drawn_camera_) ||
        w != drawn_w_ || h != drawn_h_) {
      RenderTarget& next = targets_[target_ ^ 1];
      next.resize(w, h);
      renderer_->draw(volume_, camera_, options.look, next);
      target_ ^= 1;
      drawn_once_ = true;
      drawn_volume_ = volume_.version();
      drawn_look_ = options.look;
      drawn_camera_ = cam;
      drawn_w_ = w;
      drawn_h_ = h;
    }
    dl->AddImage(texture_id(targets_[target_].texture()), min, max);
  } else {
    draw_placeholder(min, max, renderer_ ? "waiting for the network..." : "The 3-D view cannot be drawn (see Messages).");
  }
  dl->AddRect(min, max, IM_COL32(90, 90, 100, 255));
  ImGui::EndGroup();
}

void SdfViews::draw_precise(float side, SdfViewOptions& options, const std::shared_ptr<Session>& session) {
  ImGui::BeginGroup();
  const int w = std::max(8, int(std::lround(side * options.precise_scale)));
  if (session) {
    const WeightsSnapshot snap = session->snapshot();
    const render::TraceCamera cam = camera_.trace_camera();
    const SdfShading shading = options.look.shading == SdfShading::Normals ? SdfShading::Normals : SdfShading::Lit;
    const bool view_changed = session->id() != precise_session_ || snap.generation != precise_generation_ ||
                              !same_camera(cam, precise_camera_) || w != precise_w_ || shading != precise_shading_;
    const bool running = session->status().state == SessionState::Running;
    const bool newer = snap.step != precise_step_ &&
                       ((options.precise_follows && precise_done_ && seconds_now() - precise_started_ > kPreciseRestartSeconds) ||
                        !running);
    if (snap.params && (view_changed || newer)) {
      precise_started_ = seconds_now();
      request_precise(session, snap, w, w, options.look);
    }
  }
  char label[128];
  if (precise_has_frame_)
    std::snprintf(label, sizeof label, "Precise (network, %dx%d): pass %d/%d, step %llu", precise_w_, precise_h_, precise_passes_,
                  precise_total_passes_, static_cast<unsigned long long>(precise_step_));
  else
    std::snprintf(label, sizeof label, "Precise (network)");
  precise_place_ = view_square("sdf_precise", label, side, false, options);
  const ImVec2 min = precise_place_.min, max = precise_place_.max;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (precise_has_frame_ && precise_texture_.valid()) {
    dl->AddImage(texture_id(precise_texture_.id()), min, max);
  } else {
    draw_placeholder(min, max, "tracing the network...");
  }
  dl->AddRect(min, max, IM_COL32(90, 90, 100, 255));
  ImGui::EndGroup();
}

void SdfViews::draw(const std::shared_ptr<Session>& session, SdfViewOptions& options) {
  collect();
  if (session) {
    const WeightsSnapshot snap = session->snapshot();
    const int n = options.volume_resolution;
    const bool new_run = session->id() != volume_session_ || snap.generation != volume_generation_ || n != volume_.size();
    if (snap.params && !volume_pending_ && (new_run || (snap.step != volume_step_ && seconds_now() >= volume_ready_at_)))
      request_volume(session, n);
  }
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float height = avail.y - kPlotHeight - 2 * line - 2 * style.ItemSpacing.y;
  const float side = std::max(64.0f, std::min(options.precise ? (avail.x - style.ItemSpacing.x) / 2 : avail.x, height));
  draw_ray_marched(side, options);
  precise_visible_ = options.precise;
  if (options.precise) {
    ImGui::SameLine();
    draw_precise(side, options, session);
  }
  if (session) history_.update(*session);
  PlotOptions plot;
  plot.title = "Loss (log scale)";
  plot.tooltip = "Training loss of every step: the reference's SDF loss (surface |phi|, off-surface exp(-100|phi|),\n"
                 "normal alignment and the eikonal term) on the step's random points.";
  plot.log_y = true;
  plot.height = kPlotHeight;
  line_plot("sdf_loss_plot", plot, {{"loss", IM_COL32(255, 170, 60, 255), &history_.steps(), &history_.loss()}});
}

std::vector<ViewPlacement> SdfViews::placements() const {
  std::vector<ViewPlacement> out{ray_marched_place_};
  if (precise_visible_) out.push_back(precise_place_);
  return out;
}

bool SdfViews::shows(uint64_t step, uint64_t generation) const {
  const bool volume = volume_.valid() && volume_generation_ == generation && volume_step_ >= step;
  const bool precise = !precise_visible_ || (precise_frame_serial_ == precise_serial_ && precise_generation_ == generation &&
                                              precise_step_ >= step && precise_done_);
  return volume && precise;
}

}  // namespace siren::studio
