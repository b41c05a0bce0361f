#include <gtest/gtest.h>

#include <cmath>

#include "app/modes/sdf/orbit_camera.h"

namespace siren::studio {
namespace {

using Vec3 = OrbitCamera::Vec3;

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

void expect_orthonormal(const OrbitCamera& cam) {
  Vec3 r, u, f;
  cam.basis(r, u, f);
  EXPECT_NEAR(dot(r, r), 1, 1e-12);
  EXPECT_NEAR(dot(u, u), 1, 1e-12);
  EXPECT_NEAR(dot(f, f), 1, 1e-12);
  EXPECT_NEAR(dot(r, u), 0, 1e-12);
  EXPECT_NEAR(dot(r, f), 0, 1e-12);
  EXPECT_NEAR(dot(u, f), 0, 1e-12);
  EXPECT_NEAR(r[2], 0, 1e-12);  // no roll: the horizon stays level
  EXPECT_GT(u[2], 0);           // z is up on screen
}

TEST(OrbitCamera, LooksAtItsTargetFromItsDistanceWithTheWholeCubeInView) {
  OrbitCamera cam;
  expect_orthonormal(cam);
  const Vec3 e = cam.eye();
  EXPECT_NEAR(std::sqrt(dot(e, e)), cam.distance(), 1e-12);
  // Every corner of [-1, 1]^3 projects inside a square view.
  for (int c = 0; c < 8; ++c) {
    const Vec3 p{c & 1 ? 1.0 : -1.0, c & 2 ? 1.0 : -1.0, c & 4 ? 1.0 : -1.0};
    double x = 0, y = 0;
    ASSERT_TRUE(cam.project(p, 400, 400, x, y));
    EXPECT_GT(x, 0);
    EXPECT_LT(x, 400);
    EXPECT_GT(y, 0);
    EXPECT_LT(y, 400);
  }
  double x = 0, y = 0;
  ASSERT_TRUE(cam.project(cam.target(), 300, 200, x, y));
  EXPECT_NEAR(x, 150, 1e-9);
  EXPECT_NEAR(y, 100, 1e-9);
  // A point above the target is above it on screen.
  ASSERT_TRUE(cam.project({0, 0, 0.5}, 300, 200, x, y));
  EXPECT_LT(y, 100);
}

TEST(OrbitCamera, ProjectionAndTheTracersRaysAgree) {
  OrbitCamera cam;
  cam.orbit(37, -12, 300);
  cam.pan(5, 9, 300);
  const render::TraceCamera tc = cam.trace_camera();
  const int w = 320, h = 200;
  for (const Vec3 p : {Vec3{0.3, -0.2, 0.5}, Vec3{-0.8, 0.6, -0.1}}) {
    double x = 0, y = 0;
    ASSERT_TRUE(cam.project(p, w, h, x, y));
    // The ray through that pixel (centres at +0.5) passes through p.
    const render::Vec3f d = tc.ray_direction(x - 0.5, y - 0.5, w, h);
    Vec3 to{p[0] - tc.eye[0], p[1] - tc.eye[1], p[2] - tc.eye[2]};
    const double len = std::sqrt(dot(to, to));
    for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(d[k], to[k] / len, 1e-5);
  }
}

TEST(OrbitCamera, OrbitPanAndZoomStayInBounds) {
  OrbitCamera cam;
  const double d0 = cam.distance();
  cam.zoom(1);
  EXPECT_LT(cam.distance(), d0);
  for (int i = 0; i < 100; ++i) cam.zoom(5);
  EXPECT_DOUBLE_EQ(cam.distance(), OrbitCamera::kMinDistance);
  for (int i = 0; i < 100; ++i) cam.zoom(-5);
  EXPECT_DOUBLE_EQ(cam.distance(), OrbitCamera::kMaxDistance);

  cam.reset();
  cam.orbit(0, 10000, 500);  // far past the pole
  EXPECT_DOUBLE_EQ(cam.pitch(), OrbitCamera::kMaxPitch);
  expect_orthonormal(cam);
  cam.orbit(0, -20000, 500);
  EXPECT_DOUBLE_EQ(cam.pitch(), -OrbitCamera::kMaxPitch);
  expect_orthonormal(cam);

  // A full view height of horizontal drag is half a turn.
  cam.reset();
  const double yaw = cam.yaw();
  cam.orbit(500, 0, 500);
  EXPECT_NEAR(std::fabs(cam.yaw() - yaw), 3.14159265358979, 1e-9);

  // Panning moves the target with the mouse: the target's old position follows the drag on screen.
  cam.reset();
  cam.pan(40, -25, 400);
  double x = 0, y = 0;
  ASSERT_TRUE(cam.project({0, 0, 0}, 400, 400, x, y));
  EXPECT_NEAR(x, 200 + 40, 1e-6);
  EXPECT_NEAR(y, 200 - 25, 1e-6);
}

}  // namespace
}  // namespace siren::studio
