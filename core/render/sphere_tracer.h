#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/backend/backend.h"

namespace siren::render {

using Vec3f = std::array<float, 3>;

// A pinhole camera: rays leave `eye` through a screen `forward` of it, spanned by `right` and `up`
// (an orthonormal basis), with `fov_y` (radians) the vertical field of view. Pixel row 0 is the top.
struct TraceCamera {
  Vec3f eye{0, 0, 3};
  Vec3f right{1, 0, 0}, up{0, 1, 0}, forward{0, 0, -1};
  float fov_y = 0.7f;

  // Unit direction of the ray through the centre of pixel (x, y) of a width x height image.
  Vec3f ray_direction(double x, double y, int width, int height) const;
};

// A signed distance function over batches of points (n x 3 in [-1, 1]^3, the network's coordinates):
// values, plus gradients in JetMode::Gradient. The app binds the Session's evaluate on one weights
// snapshot; tests an analytic shape.
using SdfEvaluator = std::function<FieldJets(const float* points, size_t n, JetMode mode)>;

struct TraceSettings {
  float epsilon = 1e-3f;     // |phi| below this is a hit
  int max_steps = 96;        // a ray still marching after this many evaluations is a miss
  // Steps are phi times this: a network is only roughly a distance (|grad| != 1 while it trains),
  // and a step a little short of phi keeps a ray from jumping through thin parts.
  float step_scale = 0.9f;
  int coarsest_stride = 8;   // the first pass traces every 8th pixel in each direction
  size_t batch = 16384;      // points per evaluator call
  // Where the field is negative on the cube's faces, the surface is closed there (a hit on the face,
  // its normal the face's), as the mesh extraction and the ray-marched view close it: all three show
  // the boundary of {phi < 0} within the cube.
  bool close_at_cube = true;
};

enum class PixelState : uint8_t { Pending = 0, Hit = 1, Miss = 2 };

// What the tracer has found so far. Pixels not traced yet show their nearest traced coarser pixel
// (blocks), so every stage is a whole picture.
struct TraceImage {
  int width = 0, height = 0;
  std::vector<PixelState> state;  // per pixel, of what it shows
  std::vector<float> depth;       // ray parameter t of the hit (distance from the eye); +inf for misses
  std::vector<float> normal;      // 3 per pixel: unit outward normal from the exact gradient (0 for misses)
};

// Sphere tracing of the zero level set inside [-1, 1]^3, coarse to fine: pass k traces the pixels on a
// grid of stride coarsest_stride / 2^k that no earlier pass traced, so the first picture costs 1/64 of
// the whole and later passes sharpen it. All rays of a pass march together, in batches: one evaluator
// call advances every active ray by one step. A ray ends on |phi| < epsilon (a hit, its normal from the
// gradient there) or when it leaves the cube (a miss); rays that never enter the cube cost nothing.
// A ray whose entry point is inside (phi < 0 there) hits the cube's face (close_at_cube).
class SphereTracer {
 public:
  SphereTracer(const TraceCamera& camera, int width, int height, TraceSettings settings = {});

  // Traces up to `ray_budget` more rays of the current pass (at least one ray when any are left), so
  // a caller can bound the time a call takes. Returns true when the image is complete.
  bool advance(const SdfEvaluator& sdf, size_t ray_budget = ~size_t(0));
  bool done() const { return pass_ >= passes_; }
  // Passes finished so far and in all; the stride of the finest finished pass (0 before the first).
  int passes_done() const { return pass_; }
  int passes() const { return passes_; }
  int finished_stride() const;
  uint64_t evaluations() const { return evaluations_; }  // points evaluated so far
  const TraceImage& image() const { return image_; }
  const TraceCamera& camera() const { return camera_; }

 private:
  int stride(int pass) const { return settings_.coarsest_stride >> pass; }
  void begin_pass();
  void trace(const SdfEvaluator& sdf, const std::vector<uint32_t>& pixels, int stride);

  TraceCamera camera_;
  TraceSettings settings_;
  TraceImage image_;
  int passes_ = 0, pass_ = 0;
  std::vector<uint32_t> queue_;  // pixels of the current pass not traced yet
  size_t queued_from_ = 0;
  uint64_t evaluations_ = 0;
};

// Where the ray origin + t dir meets the cube [-1, 1]^3: true with t_near <= t_far when it does.
bool intersect_unit_cube(const Vec3f& origin, const Vec3f& dir, float& t_near, float& t_far);

}  // namespace siren::render
