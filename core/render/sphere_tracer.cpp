#include "core/render/sphere_tracer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/error.h"

namespace siren::render {

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();

Vec3f normalized(Vec3f v) {
  const float n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (n > 0) for (float& c : v) c /= n;
  return v;
}
}  // namespace

Vec3f TraceCamera::ray_direction(double x, double y, int width, int height) const {
  const double t = std::tan(double(fov_y) * 0.5);
  const double aspect = double(width) / double(height);
  const double sx = (2.0 * (x + 0.5) / width - 1.0) * t * aspect;
  const double sy = (1.0 - 2.0 * (y + 0.5) / height) * t;
  Vec3f d;
  for (int k = 0; k < 3; ++k) d[size_t(k)] = float(forward[size_t(k)] + sx * right[size_t(k)] + sy * up[size_t(k)]);
  return normalized(d);
}

bool intersect_unit_cube(const Vec3f& o, const Vec3f& d, float& t_near, float& t_far) {
  float lo = -kInf, hi = kInf;
  for (size_t k = 0; k < 3; ++k) {
    if (d[k] == 0.0f) {
      if (o[k] < -1.0f || o[k] > 1.0f) return false;
      continue;
    }
    float a = (-1.0f - o[k]) / d[k], b = (1.0f - o[k]) / d[k];
    if (a > b) std::swap(a, b);
    lo = std::max(lo, a);
    hi = std::min(hi, b);
  }
  if (hi < std::max(lo, 0.0f)) return false;
  t_near = std::max(lo, 0.0f);
  t_far = hi;
  return true;
}

SphereTracer::SphereTracer(const TraceCamera& camera, int width, int height, TraceSettings settings)
    : camera_(camera), settings_(settings) {
  if (width < 1 || height < 1) throw Error("sphere tracer: empty image");
  if (settings_.coarsest_stride < 1 || (settings_.coarsest_stride & (settings_.coarsest_stride - 1)))
    throw Error("sphere tracer: the coarsest stride must be a power of two");
  settings_.batch = std::max<size_t>(settings_.batch, 1);
  image_.width = width;
  image_.height = height;
  const size_t n = size_t(width) * height;
  image_.state.assign(n, PixelState::Pending);
  image_.depth.assign(n, kInf);
  image_.normal.assign(n * 3, 0.0f);
  for (int s = settings_.coarsest_stride; s >= 1; s >>= 1) ++passes_;
  begin_pass();
}

int SphereTracer::finished_stride() const { return pass_ == 0 ? 0 : stride(pass_ - 1); }

void SphereTracer::begin_pass() {
  queue_.clear();
  queued_from_ = 0;
  if (pass_ >= passes_) return;
  const int s = stride(pass_), coarser = s * 2;
  for (int y = 0; y < image_.height; y += s)
    for (int x = 0; x < image_.width; x += s) {
      const bool traced_before = pass_ > 0 && x % coarser == 0 && y % coarser == 0;
      if (!traced_before) queue_.push_back(uint32_t(y) * uint32_t(image_.width) + uint32_t(x));
    }
}

bool SphereTracer::advance(const SdfEvaluator& sdf, size_t ray_budget) {
  if (done()) return true;
  const size_t take = std::min(std::max<size_t>(ray_budget, 1), queue_.size() - queued_from_);
  const std::vector<uint32_t> pixels(queue_.begin() + std::ptrdiff_t(queued_from_),
                                     queue_.begin() + std::ptrdiff_t(queued_from_ + take));
  trace(sdf, pixels, stride(pass_));
  queued_from_ += take;
  if (queued_from_ >= queue_.size()) {
    ++pass_;
    begin_pass();
  }
  return done();
}

void SphereTracer::trace(const SdfEvaluator& sdf, const std::vector<uint32_t>& pixels, int s) {
  struct Ray {
    uint32_t pixel;
    Vec3f dir;
    float t, t_near, t_far;
    int steps;
  };
  const size_t n = pixels.size();
  std::vector<PixelState> state(n, PixelState::Miss);
  std::vector<float> depth(n, kInf), normal(n * 3, 0.0f);
  std::vector<int8_t> face(n, -1);  // axis * 2 + (positive side) of the face a ray hit, or -1
  std::vector<Ray> active;
  std::vector<size_t> slot;  // index into pixels of each active ray
  for (size_t i = 0; i < n; ++i) {
    const uint32_t p = pixels[i];
    const Vec3f d = camera_.ray_direction(p % uint32_t(image_.width), p / uint32_t(image_.width), image_.width, image_.height);
    float t0 = 0, t1 = 0;
    if (!intersect_unit_cube(camera_.eye, d, t0, t1)) continue;
    active.push_back({p, d, t0, t0, t1, 0});
    slot.push_back(i);
  }
  std::vector<float> points;
  while (!active.empty()) {
    // One step of every active ray, in batches; finished rays leave the list.
    std::vector<Ray> next;
    std::vector<size_t> next_slot;
    for (size_t b0 = 0; b0 < active.size(); b0 += settings_.batch) {
      const size_t m = std::min(settings_.batch, active.size() - b0);
      points.resize(m * 3);
      for (size_t j = 0; j < m; ++j) {
        const Ray& r = active[b0 + j];
        for (size_t k = 0; k < 3; ++k) points[j * 3 + k] = camera_.eye[k] + r.t * r.dir[k];
      }
      const FieldJets f = sdf(points.data(), m, JetMode::Value);
      if (f.value.size() < m) throw Error("sphere tracer: the SDF returned too few values");
      evaluations_ += m;
      for (size_t j = 0; j < m; ++j) {
        Ray r = active[b0 + j];
        const size_t i = slot[b0 + j];
        const float phi = f.value[j];
        if (!std::isfinite(phi)) continue;  // a diverged network shows nothing rather than garbage
        if (std::fabs(phi) < settings_.epsilon) {
          state[i] = PixelState::Hit;
          depth[i] = r.t;
          continue;
        }
        if (r.steps == 0 && phi < 0 && settings_.close_at_cube && r.t_near > 0) {
          // Entered inside the shape: the face it came through is the surface. That face's axis is
          // the one whose coordinate at the entry point is at +-1.
          int axis = 0;
          float best = -1;
          for (int k = 0; k < 3; ++k) {
            const float c = std::fabs(camera_.eye[size_t(k)] + r.t * r.dir[size_t(k)]);
            if (c > best) best = c, axis = k;
          }
          const bool positive = camera_.eye[size_t(axis)] + r.t * r.dir[size_t(axis)] > 0;
          state[i] = PixelState::Hit;
          depth[i] = r.t;
          face[i] = int8_t(axis * 2 + (positive ? 1 : 0));
          continue;
        }
        r.t += phi * settings_.step_scale;
        if (++r.steps >= settings_.max_steps || r.t > r.t_far) continue;
        // Backwards (phi < 0: the ray started inside) is allowed down to where it entered the cube.
        r.t = std::max(r.t, r.t_near);
        next.push_back(r);
        next_slot.push_back(i);
      }
    }
    active.swap(next);
    slot.swap(next_slot);
  }

  // Normals from the exact gradient at the hits.
  std::vector<size_t> hits;
  for (size_t i = 0; i < n; ++i) {
    if (state[i] != PixelState::Hit) continue;
    if (face[i] < 0) {
      hits.push_back(i);
      continue;
    }
    normal[i * 3 + size_t(face[i] / 2)] = face[i] % 2 ? 1.0f : -1.0f;
  }
  for (size_t b0 = 0; b0 < hits.size(); b0 += settings_.batch) {
    const size_t m = std::min(settings_.batch, hits.size() - b0);
    points.resize(m * 3);
    for (size_t j = 0; j < m; ++j) {
      const size_t i = hits[b0 + j];
      const uint32_t p = pixels[i];
      const Vec3f d = camera_.ray_direction(p % uint32_t(image_.width), p / uint32_t(image_.width), image_.width, image_.height);
      for (size_t k = 0; k < 3; ++k) points[j * 3 + k] = camera_.eye[k] + depth[i] * d[k];
    }
    const FieldJets f = sdf(points.data(), m, JetMode::Gradient);
    if (f.gradient.size() < m * 3) throw Error("sphere tracer: the SDF returned no gradient");
    evaluations_ += m;
    for (size_t j = 0; j < m; ++j) {
      const Vec3f g = normalized({f.gradient[j * 3], f.gradient[j * 3 + 1], f.gradient[j * 3 + 2]});
      std::copy(g.begin(), g.end(), &normal[hits[b0 + j] * 3]);
    }
  }

  // Each traced pixel stands for its s x s block until a finer pass traces the rest of it.
  for (size_t i = 0; i < n; ++i) {
    const int x0 = int(pixels[i] % uint32_t(image_.width)), y0 = int(pixels[i] / uint32_t(image_.width));
    for (int y = y0; y < std::min(y0 + s, image_.height); ++y)
      for (int x = x0; x < std::min(x0 + s, image_.width); ++x) {
        const size_t q = size_t(y) * size_t(image_.width) + size_t(x);
        image_.state[q] = state[i];
        image_.depth[q] = depth[i];
        std::copy(&normal[i * 3], &normal[i * 3] + 3, &image_.normal[q * 3]);
      }
  }
}

}  // namespace siren::render
