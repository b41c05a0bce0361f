#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "app/background.h"
#include "app/gl/texture.h"
#include "app/modes/sdf/orbit_camera.h"
#include "app/modes/sdf/sdf_renderer.h"
#include "app/modes/sdf/sdf_volume.h"
#include "app/panels/metrics_panel.h"
#include "app/views/field_view.h"
#include "core/render/sphere_tracer.h"
#include "core/session/session.h"

namespace siren::studio {

// What the views show besides the weights: edited by the sidebar's View section.
struct SdfViewOptions {
  SdfLook look;
  int volume_resolution = 48;
  bool precise = true;          // show the precise view beside the ray-marched one
  float precise_scale = 0.5f;   // its traced pixels per view pixel, per side
  // Trace newer weights while training runs (each trace competes with training for the CPU); otherwise
  // the precise view shows the weights of when training paused or the camera last moved.
  bool precise_follows = false;
  float render_scale = 1.0f;    // the ray-marched view's pixels per view pixel, per side
};

// The SDF mode's main area: the ray-marched view of the volume (refreshed from the latest weights on
// the view worker, "latest wins"), the precise view (the network itself sphere-traced on the backend,
// coarse to fine, also on the view worker), both with the same orbit camera, and the loss plot.
class SdfViews {
 public:
  SdfViews(SdfRenderer* renderer, JobThread& view_worker);
  ~SdfViews();

  void draw(const std::shared_ptr<Session>& session, SdfViewOptions& options);
  void reset_camera() { camera_ = OrbitCamera(); }
  // The mode retires: a precise trace in progress queues no further slices. They would keep the view
  // worker busy (and the retired mode alive) for the rest of the trace, and a later SDF mode's trace
  // shares their worker key, so each could replace the other's next slice and leave a view waiting.
  void stop();
  void zoom(double factor);

  std::vector<ViewPlacement> placements() const;
  // The ray-marched view shows the volume of this step (or a later one) of this run; the precise view,
  // when shown, has finished tracing the run's current weights (a capture shows its final picture).
  bool shows(uint64_t step, uint64_t generation) const;
  std::pair<uint64_t, uint64_t> refreshes() const { return {volume_refreshes_, precise_frames_}; }
  uint64_t shown_step() const { return volume_step_; }

 private:
  struct VolumeResult;
  struct PreciseFrame;
  struct Shared;
  void request_volume(const std::shared_ptr<Session>& session, int n);
  void request_precise(const std::shared_ptr<Session>& session, const WeightsSnapshot& snap, int w, int h,
                       const SdfLook& look);
  void collect();
  // One time slice of a precise trace on the view worker; queues the next slice until the picture is
  // complete or a newer trace replaced it.
  static void precise_slice(std::shared_ptr<Shared> shared, JobThread* worker, uint64_t serial,
                            std::shared_ptr<Session> session, WeightsSnapshot snap,
                            std::shared_ptr<render::SphereTracer> tracer, SdfShading shading);
  bool interact(float side, bool ray_marched_view, SdfViewOptions& options);
  // Both views: the label, then a side x side square that takes the camera's mouse input (interact);
  // where it was drawn, for the layout report.
  ViewPlacement view_square(const char* id, const char* label, float side, bool ray_marched, SdfViewOptions& options);
  static void draw_placeholder(const ImVec2& min, const ImVec2& max, const char* text);
  void draw_ray_marched(float side, SdfViewOptions& options);
  void draw_precise(float side, SdfViewOptions& options, const std::shared_ptr<Session>& session);

  SdfRenderer* renderer_;
  JobThread& view_worker_;
  std::shared_ptr<Shared> shared_;
  OrbitCamera camera_;
  MetricHistory history_;

  // The volume on screen and the one being computed.
  VolumeTexture volume_;
  uint64_t volume_step_ = 0, volume_generation_ = ~uint64_t(0);
  bool volume_pending_ = false;
  double volume_ready_at_ = 0;  // earliest time of the next refresh (the worker is shared with training)
  uint64_t volume_refreshes_ = 0;
  uint64_t volume_session_ = 0;  // Session::id()

  // Two targets drawn in turn: the one shown changes with every redraw, so the app sees a new frame.
  RenderTarget targets_[2];
  int target_ = 0;
  uint64_t drawn_volume_ = ~uint64_t(0);
  SdfLook drawn_look_;
  render::TraceCamera drawn_camera_;
  int drawn_w_ = 0, drawn_h_ = 0;
  bool drawn_once_ = false;

  // The precise view.
  FloatTexture precise_texture_;
  uint64_t precise_serial_ = 0;  // of the trace requested last
  uint64_t precise_step_ = 0, precise_generation_ = ~uint64_t(0);
  int precise_passes_ = 0, precise_total_passes_ = 0;
  bool precise_done_ = false, precise_has_frame_ = false;
  render::TraceCamera precise_camera_;
  int precise_w_ = 0, precise_h_ = 0;
  SdfShading precise_shading_ = SdfShading::Lit;
  uint64_t precise_frames_ = 0;
  uint64_t precise_frame_serial_ = 0;  // of the trace whose picture is on screen
  double precise_started_ = -1e9;
  uint64_t precise_session_ = 0;  // Session::id()

  // Dragging: which view and what the drag moves.
  enum class Drag { None, Orbit, Pan, Plane };
  Drag drag_ = Drag::None;
  double plane_drag_per_pixel_[2] = {0, 0};  // offset change per pixel of mouse motion, x and y

  ViewPlacement ray_marched_place_, precise_place_;
  bool precise_visible_ = false;
};

}  // namespace siren::studio
