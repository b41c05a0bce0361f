#pragma once
#include <array>

#include "core/render/sphere_tracer.h"

namespace siren::studio {

// The 3-D views' camera: it circles a target point at a distance, z up (the network's third
// coordinate), and is moved by mouse drags (orbit, pan) and the wheel (zoom). GL-free: the ray-march
// shader and the CPU sphere tracer both take its trace_camera(), so the two views line up pixel for pixel.
class OrbitCamera {
 public:
  using Vec3 = std::array<double, 3>;

  OrbitCamera() { reset(); }
  void reset();  // the whole [-1, 1]^3 cube in view, from the front right and above

  // Drags in pixels of a view `view_height` pixels tall: orbiting turns half a revolution across
  // the view's height; panning moves the target with the point under the mouse.
  void orbit(double dx, double dy, double view_height);
  void pan(double dx, double dy, double view_height);
  void zoom(double wheel);  // > 0 moves closer

  Vec3 eye() const;
  const Vec3& target() const { return target_; }
  double distance() const { return distance_; }
  double yaw() const { return yaw_; }
  double pitch() const { return pitch_; }
  double fov_y() const { return fov_y_; }
  // Unit vectors: forward points at the target, right and up span the screen (up as close to +z as
  // forward allows).
  void basis(Vec3& right, Vec3& up, Vec3& forward) const;
  render::TraceCamera trace_camera() const;

  // Pixel position (x right, y down, pixel centres at +0.5) of a point in a width x height view;
  // false when the point is behind the eye.
  bool project(const Vec3& p, int width, int height, double& x, double& y) const;

  static constexpr double kMinDistance = 0.3, kMaxDistance = 20.0;
  static constexpr double kMaxPitch = 1.5;  // just short of the poles, where "up" would flip

 private:
  Vec3 target_{0, 0, 0};
  double distance_ = 4, yaw_ = 0, pitch_ = 0, fov_y_ = 0.7;
};

}  // namespace siren::studio
