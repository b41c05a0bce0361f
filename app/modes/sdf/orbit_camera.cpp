#include "app/modes/sdf/orbit_camera.h"

#include <algorithm>
#include <cmath>

namespace siren::studio {

namespace {
using Vec3 = OrbitCamera::Vec3;
constexpr double kPi = 3.14159265358979323846;

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 normalized(const Vec3& v) {
  const double n = std::sqrt(dot(v, v));
  return {v[0] / n, v[1] / n, v[2] / n};
}
}  // namespace

void OrbitCamera::reset() {
  target_ = {0, 0, 0};
  // The cube's circumsphere (radius sqrt 3) just fits the vertical field of view.
  fov_y_ = 0.7;
  distance_ = std::sqrt(3.0) / std::sin(fov_y_ / 2) * 1.02;
  yaw_ = -kPi / 4 - 0.35;  // from +x -y: the front right
  pitch_ = 0.45;
}

void OrbitCamera::orbit(double dx, double dy, double view_height) {
  const double per_pixel = kPi / std::max(view_height, 1.0);
  yaw_ -= dx * per_pixel;
  pitch_ = std::clamp(pitch_ + dy * per_pixel, -kMaxPitch, kMaxPitch);
}

void OrbitCamera::pan(double dx, double dy, double view_height) {
  // World units per pixel at the target's depth.
  const double per_pixel = 2 * distance_ * std::tan(fov_y_ / 2) / std::max(view_height, 1.0);
  Vec3 r, u, f;
  basis(r, u, f);
  for (int k = 0; k < 3; ++k) target_[size_t(k)] += (-dx * r[size_t(k)] + dy * u[size_t(k)]) * per_pixel;
}

void OrbitCamera::zoom(double wheel) { distance_ = std::clamp(distance_ * std::pow(0.85, wheel), kMinDistance, kMaxDistance); }

Vec3 OrbitCamera::eye() const {
  const double c = std::cos(pitch_);
  return {target_[0] + distance_ * c * std::cos(yaw_), target_[1] + distance_ * c * std::sin(yaw_),
          target_[2] + distance_ * std::sin(pitch_)};
}

void OrbitCamera::basis(Vec3& right, Vec3& up, Vec3& forward) const {
  const Vec3 e = eye();
  forward = normalized({target_[0] - e[0], target_[1] - e[1], target_[2] - e[2]});
  right = normalized(cross(forward, {0, 0, 1}));  // |pitch| < pi/2: never parallel to z
  up = cross(right, forward);
}

render::TraceCamera OrbitCamera::trace_camera() const {
  Vec3 r, u, f;
  basis(r, u, f);
  const Vec3 e = eye();
  render::TraceCamera cam;
  for (size_t k = 0; k < 3; ++k) {
    cam.eye[k] = float(e[k]);
    cam.right[k] = float(r[k]);
    cam.up[k] = float(u[k]);
    cam.forward[k] = float(f[k]);
  }
  cam.fov_y = float(fov_y_);
  return cam;
}

bool OrbitCamera::project(const Vec3& p, int width, int height, double& x, double& y) const {
  Vec3 r, u, f;
  basis(r, u, f);
  const Vec3 e = eye();
  const Vec3 d{p[0] - e[0], p[1] - e[1], p[2] - e[2]};
  const double z = dot(d, f);
  if (z <= 1e-9) return false;
  const double t = std::tan(fov_y_ / 2), aspect = double(width) / double(height);
  const double sx = dot(d, r) / z / (t * aspect), sy = dot(d, u) / z / t;  // [-1, 1] across the view
  x = (sx + 1) * 0.5 * width;
  y = (1 - sy) * 0.5 * height;
  return true;
}

}  // namespace siren::studio
