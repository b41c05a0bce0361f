#include <gtest/gtest.h>

#include <cmath>

#include "core/render/sphere_tracer.h"
#include "core/util/error.h"

namespace siren::render {
namespace {

constexpr float kRadius = 0.5f;
const Vec3f kCenter{0.1f, -0.05f, 0.0f};

// The exact distance to a sphere, with its exact gradient.
FieldJets sphere(const float* p, size_t n, JetMode mode, size_t* calls = nullptr) {
  if (calls) ++*calls;
  FieldJets f;
  f.value.resize(n);
  if (mode != JetMode::Value) f.gradient.resize(n * 3);
  for (size_t i = 0; i < n; ++i) {
    const float d[3] = {p[i * 3] - kCenter[0], p[i * 3 + 1] - kCenter[1], p[i * 3 + 2] - kCenter[2]};
    const float r = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    f.value[i] = r - kRadius;
    if (mode != JetMode::Value)
      for (int k = 0; k < 3; ++k) f.gradient[i * 3 + size_t(k)] = d[k] / r;
  }
  return f;
}

// Where the ray from `o` along unit `d` first meets the sphere, or NaN.
double analytic_hit(const Vec3f& o, const Vec3f& d) {
  double oc[3], b = 0, c = 0;
  for (int k = 0; k < 3; ++k) {
    oc[k] = double(o[size_t(k)]) - kCenter[size_t(k)];
    b += oc[k] * d[size_t(k)];
    c += oc[k] * oc[k];
  }
  c -= double(kRadius) * kRadius;
  const double disc = b * b - c;
  return disc < 0 ? std::nan("") : -b - std::sqrt(disc);
}

TraceCamera looking_down_z() {
  TraceCamera cam;
  cam.eye = {0.0f, 0.0f, 3.0f};
  cam.right = {1, 0, 0};
  cam.up = {0, 1, 0};
  cam.forward = {0, 0, -1};
  cam.fov_y = 0.6f;
  return cam;
}

TEST(SphereTracer, HitsDepthsAndNormalsOfAnAnalyticSphere) {
  const TraceCamera cam = looking_down_z();
  const int w = 64, h = 48;
  SphereTracer tracer(cam, w, h, TraceSettings{1e-4f, 200, 1.0f, 8, 1000});
  const SdfEvaluator eval = [](const float* p, size_t n, JetMode m) { return sphere(p, n, m); };
  while (!tracer.advance(eval)) {
  }
  const TraceImage& img = tracer.image();
  int hits = 0, misses = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t i = size_t(y) * w + size_t(x);
      const Vec3f d = cam.ray_direction(x, y, w, h);
      // How close the ray passes to the centre: rays that graze the sphere converge slowly and may
      // end either way; the others must be a clean hit or a clean miss.
      double along = 0, closest = 0;
      for (int k = 0; k < 3; ++k) along += (double(kCenter[size_t(k)]) - cam.eye[size_t(k)]) * d[size_t(k)];
      for (int k = 0; k < 3; ++k) {
        const double q = cam.eye[size_t(k)] + along * d[size_t(k)] - kCenter[size_t(k)];
        closest += q * q;
      }
      closest = std::sqrt(closest);
      if (closest > kRadius + 0.005) {
        EXPECT_EQ(img.state[i], PixelState::Miss) << x << "," << y;
        ++misses;
        continue;
      }
      if (closest > kRadius - 0.005) continue;
      const double t = analytic_hit(cam.eye, d);
      ASSERT_EQ(img.state[i], PixelState::Hit) << x << "," << y;
      ++hits;
      // |phi| < epsilon leaves the hit within epsilon / cos(incidence) of the surface along the ray.
      const double cos_incidence = std::sqrt(1.0 - (closest / kRadius) * (closest / kRadius));
      const double tol = 1.5e-4 / cos_incidence;
      EXPECT_NEAR(img.depth[i], t, tol) << x << "," << y;
      double nrm[3], len = 0;
      for (int k = 0; k < 3; ++k) {
        nrm[k] = cam.eye[size_t(k)] + t * d[size_t(k)] - kCenter[size_t(k)];
        len += nrm[k] * nrm[k];
      }
      for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(img.normal[i * 3 + size_t(k)], nrm[k] / std::sqrt(len), 2 * tol / kRadius + 1e-4) << x << "," << y;
    }
  EXPECT_GT(hits, 400);
  EXPECT_GT(misses, 400);
  // The centre of the sphere is straight ahead: its front point is 2.5 away along -z.
  const Vec3f c = cam.ray_direction(w / 2 - 0.5, h / 2 - 0.5, w, h);
  EXPECT_NEAR(c[2], -1.0f, 1e-6);
}

TEST(SphereTracer, FirstPassIsCoarseAndCoversTheWholeImage) {
  const TraceCamera cam = looking_down_z();
  const int w = 64, h = 64;
  SphereTracer tracer(cam, w, h);
  const SdfEvaluator eval = [](const float* p, size_t n, JetMode m) { return sphere(p, n, m); };
  EXPECT_EQ(tracer.passes(), 4);  // strides 8, 4, 2, 1
  EXPECT_FALSE(tracer.advance(eval));
  EXPECT_EQ(tracer.passes_done(), 1);
  EXPECT_EQ(tracer.finished_stride(), 8);
  const uint64_t first = tracer.evaluations();
  for (PixelState s : tracer.image().state) EXPECT_NE(s, PixelState::Pending);
  // The centre pixel's 8x8 block shows the sphere already.
  EXPECT_EQ(tracer.image().state[size_t(32) * w + 32], PixelState::Hit);
  while (!tracer.advance(eval)) {
  }
  // 1/64 of the rays in the first pass: the rest cost far more.
  EXPECT_GT(tracer.evaluations(), first * 20);
  EXPECT_EQ(tracer.finished_stride(), 1);
}

TEST(SphereTracer, RayBudgetSplitsAPassAndEveryPixelIsTracedOnce) {
  const TraceCamera cam = looking_down_z();
  const int w = 40, h = 30;
  size_t calls_budget = 0, calls_whole = 0;
  SphereTracer small(cam, w, h), whole(cam, w, h);
  const SdfEvaluator a = [&](const float* p, size_t n, JetMode m) { return sphere(p, n, m, &calls_budget); };
  const SdfEvaluator b = [&](const float* p, size_t n, JetMode m) { return sphere(p, n, m, &calls_whole); };
  int advances = 0;
  while (!small.advance(a, 37)) ++advances;
  while (!whole.advance(b)) {
  }
  EXPECT_GT(advances, w * h / 37 - 2);
  EXPECT_EQ(small.evaluations(), whole.evaluations());
  EXPECT_EQ(small.image().depth, whole.image().depth);
  EXPECT_EQ(small.image().normal, whole.image().normal);
}

TEST(SphereTracer, RaysOutsideTheCubeCostNothingAndAnEmptyFieldShowsNothing) {
  TraceCamera cam = looking_down_z();
  cam.forward = {0, 0, 1};  // looking away from the cube
  cam.right = {-1, 0, 0};
  SphereTracer away(cam, 16, 16);
  size_t calls = 0;
  const SdfEvaluator eval = [&](const float* p, size_t n, JetMode m) { return sphere(p, n, m, &calls); };
  while (!away.advance(eval)) {
  }
  EXPECT_EQ(calls, 0u);
  for (PixelState s : away.image().state) EXPECT_EQ(s, PixelState::Miss);

  // A field positive everywhere in the cube: every ray leaves it (or runs out of steps) as a miss.
  SphereTracer empty(looking_down_z(), 16, 16);
  const SdfEvaluator far = [](const float*, size_t n, JetMode m) {
    FieldJets f;
    f.value.assign(n, 0.05f);
    if (m != JetMode::Value) f.gradient.assign(n * 3, 0.0f);
    return f;
  };
  while (!empty.advance(far)) {
  }
  for (PixelState s : empty.image().state) EXPECT_EQ(s, PixelState::Miss);
}

TEST(SphereTracer, AFieldNegativeOnTheCubesFaceIsClosedThereWithTheFacesNormal) {
  // A sphere larger than the cube: the rays enter inside it, and the picture is the cube's face z = +1.
  SphereTracer tracer(looking_down_z(), 16, 16);
  const SdfEvaluator big = [](const float* p, size_t n, JetMode m) {
    FieldJets f;
    f.value.resize(n);
    if (m != JetMode::Value) f.gradient.assign(n * 3, 0.0f);
    for (size_t i = 0; i < n; ++i)
      f.value[i] = std::sqrt(p[i * 3] * p[i * 3] + p[i * 3 + 1] * p[i * 3 + 1] + p[i * 3 + 2] * p[i * 3 + 2]) - 3.0f;
    return f;
  };
  while (!tracer.advance(big)) {
  }
  const TraceImage& img = tracer.image();
  const size_t centre = 8 * 16 + 8;
  ASSERT_EQ(img.state[centre], PixelState::Hit);
  EXPECT_NEAR(img.depth[centre], 2.0f, 2e-3);  // the eye is at z = 3, the ray nearly along -z
  EXPECT_FLOAT_EQ(img.normal[centre * 3 + 2], 1.0f);
  EXPECT_FLOAT_EQ(img.normal[centre * 3 + 0], 0.0f);
}

TEST(SphereTracer, CubeIntersection) {
  float t0 = 0, t1 = 0;
  EXPECT_TRUE(intersect_unit_cube({0, 0, 3}, {0, 0, -1}, t0, t1));
  EXPECT_FLOAT_EQ(t0, 2.0f);
  EXPECT_FLOAT_EQ(t1, 4.0f);
  EXPECT_FALSE(intersect_unit_cube({0, 2, 3}, {0, 0, -1}, t0, t1));
  EXPECT_TRUE(intersect_unit_cube({0, 0, 0}, {1, 0, 0}, t0, t1));  // from inside: starts at the eye
  EXPECT_FLOAT_EQ(t0, 0.0f);
  EXPECT_FLOAT_EQ(t1, 1.0f);
  EXPECT_THROW(SphereTracer(looking_down_z(), 0, 10), Error);
}

}  // namespace
}  // namespace siren::render
