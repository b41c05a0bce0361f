// The shape experiment end to end on the CPU: a torus point cloud placed far from the origin at a
// large scale, fitted by SdfTask; the surface it extracts is checked against the analytic torus in the
// input's own units (issue 6: zero set within 1% of the bounding box, |grad phi| within 5% of 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/backend/cpu/cpu_backend.h"
#include "core/geometry/analytic_shapes.h"
#include "core/geometry/mesh_metrics.h"
#include "core/geometry/nearest_neighbors.h"
#include "core/network/parameters.h"
#include "core/tasks/sdf_task.h"
#include "core/util/error.h"

namespace siren {
namespace {

// The torus (radii 0.6, 0.25 around z) moved to kCenter and scaled by kScale, so that a wrong
// normalisation or a forgotten inverse shows up as a gross error in input units.
constexpr double kScale = 20.0, kMajor = 0.6, kMinor = 0.25;
const geometry::Vec3 kCenter{{5.0, -3.0, 12.0}};

double torus_in_input_units(const float p[3]) {
  const geometry::Vec3 q{{(p[0] - kCenter[0]) / kScale, (p[1] - kCenter[1]) / kScale, (p[2] - kCenter[2]) / kScale}};
  return geometry::torus_sdf(q, kMajor, kMinor) * kScale;
}

io::PointCloud torus_cloud(size_t n) {
  const geometry::Sdf sdf = [](const geometry::Vec3& p) { return geometry::torus_sdf(p, kMajor, kMinor); };
  geometry::GridBox box;
  io::PointCloud cloud = geometry::sample_sdf_surface(sdf, box, n, 3, 64);
  for (size_t i = 0; i < cloud.size(); ++i)
    for (int k = 0; k < 3; ++k)
      cloud.points[i * 3 + size_t(k)] = float(cloud.points[i * 3 + size_t(k)] * kScale + kCenter[size_t(k)]);
  return cloud;
}

NetworkConfig sdf_config() {
  NetworkConfig cfg;
  cfg.in_dim = 3;
  cfg.out_dim = 1;
  cfg.hidden_features = 64;
  // A network this small at the reference's first-layer w0 = 30 grows spurious surfaces far from the
  // shape that it takes many more steps to clear than a test can afford; 15 has none after 2000 steps.
  cfg.first_omega0 = 15;
  cfg.hidden_layers = 3;
  return cfg;
}

struct FittedTorus {
  std::unique_ptr<SdfTask> task;
  NetworkConfig cfg = sdf_config();
  std::vector<float> params;
  mutable cpu::CpuBackend backend;  // evaluation does not change the fit
  double first_loss = 0, last_loss = 0;

  FittedTorus() : task(std::make_unique<SdfTask>(torus_cloud(4000))) {
    AdamConfig adam;
    adam.lr = 1e-4f;
    adam.clip_grad_norm = task->gradient_clip();
    auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 1), adam, task->training_data(), 1000, 2);
    first_loss = trainer->step().loss;
    for (int i = 0; i < 2000; ++i) last_loss = trainer->step().loss;
    params = trainer->parameters();
  }
};


TEST(SdfTask, NormalisesTheInputAndReportsInItsUnits) {
  const SdfTask task(torus_cloud(500));
  const geometry::Normalization& n = task.normalization();
  // The torus spans 1.7 x 1.7 x 0.5 before scaling: its largest extent maps to [-1, 1].
  EXPECT_NEAR(n.scale, 2.0 / (2 * (kMajor + kMinor) * kScale), 0.02 * n.scale);
  const TrainingData& d = *task.training_data();
  EXPECT_EQ(d.loss, LossKind::Sdf);
  float lo = 1e9f, hi = -1e9f;
  for (float v : d.coords) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_FLOAT_EQ(lo, -1.0f);
  EXPECT_FLOAT_EQ(hi, 1.0f);
  EXPECT_EQ(task.gradient_clip(), 1.0f);
  EXPECT_EQ(task.model_info().at("task"), "sdf");
}

TEST(SdfTask, RefusesPointsWithoutNormals) {
  io::PointCloud cloud;
  cloud.points = {0, 0, 0, 1, 1, 1};
  EXPECT_THROW(SdfTask{cloud}, Error);
  EXPECT_THROW(SdfTask{io::PointCloud{}}, Error);
  EXPECT_THROW(SdfTask::from_file("/nonexistent/shape.xyz"), Error);
}

void check_zero_set(const FittedTorus& f) {
  EXPECT_LT(f.last_loss, f.first_loss * 0.1);
  const io::Mesh mesh = f.task->extract_mesh(f.backend, f.cfg, f.params, 64);
  ASSERT_GT(mesh.triangle_count(), 1000u);
  // The zero set: every extracted vertex lies near the analytic surface; the bounding box's largest
  // side is 2 (major + minor) in the shape's own units.
  const double box = 2 * (kMajor + kMinor) * kScale;
  std::vector<double> err;
  for (size_t i = 0; i < mesh.vertex_count(); ++i) err.push_back(std::fabs(torus_in_input_units(&mesh.vertices[i * 3])));
  std::sort(err.begin(), err.end());
  const double median = err[err.size() / 2], p99 = err[err.size() * 99 / 100];
  std::printf("torus zero set: median %.4f, p99 %.4f, max %.4f (box %.1f)\n", median, p99, err.back(), box);
  EXPECT_LT(p99, 0.01 * box);
  EXPECT_LT(median, 0.003 * box);
  // Nothing beyond the cube the network was trained on: the torus touches its faces, and the
  // untrained network beyond them must add no surface of its own.
  std::vector<float> normalised = mesh.vertices;
  f.task->normalization().apply(normalised);
  float reach = 0;
  for (float v : normalised) reach = std::max(reach, std::fabs(v));
  EXPECT_LE(reach, 1.0f + 1e-4f);
  EXPECT_GT(reach, 0.99f);  // and it does reach the faces (the shape's extremes lie on them)
  // Its topology: one torus (Euler characteristic 0), closed.
  const geometry::MeshTopology topo = geometry::mesh_topology(mesh);
  EXPECT_TRUE(topo.closed_and_oriented());
  EXPECT_EQ(topo.euler_characteristic(), 0);
  // The Chamfer distance to the input points, in input units.
  const double chamfer = f.task->chamfer_to_input(mesh, 20000, 0);
  EXPECT_LT(chamfer, 0.01 * box);
  EXPECT_GT(chamfer, 0.0);
}

void check_gradient_and_metrics(const FittedTorus& f) {
  // |grad phi| on the true surface and 0.01 (0.5% of the box) either side of it.
  const io::PointCloud on = geometry::sample_sdf_surface(
      [](const geometry::Vec3& p) { return geometry::torus_sdf(p, kMajor, kMinor); }, geometry::GridBox{}, 3000, 11,
      64);
  std::vector<float> coords;
  for (double offset : {-0.01, 0.0, 0.01})
    for (size_t i = 0; i < on.size(); ++i)
      for (int k = 0; k < 3; ++k) {
        const double p = on.points[i * 3 + size_t(k)] + offset * on.normals[i * 3 + size_t(k)];
        coords.push_back(float(p * kScale + kCenter[size_t(k)]));
      }
  f.task->normalization().apply(coords);
  const FieldJets j = f.backend.evaluate(f.cfg, f.params, coords.data(), coords.size() / 3, JetMode::Gradient);
  double dev = 0, band[3] = {0, 0, 0};
  for (size_t i = 0; i < coords.size() / 3; ++i) {
    const float* g = &j.gradient[i * 3];
    const double d = std::fabs(std::sqrt(double(g[0]) * g[0] + double(g[1]) * g[1] + double(g[2]) * g[2]) - 1.0);
    dev += d;
    band[i / on.size()] += d / double(on.size());
  }
  std::printf("per band: inside %.4f surface %.4f outside %.4f\n", band[0], band[1], band[2]);
  dev /= double(coords.size() / 3);
  std::printf("torus: mean ||grad phi| - 1| near the surface %.4f\n", dev);
  EXPECT_LT(dev, 0.05);

  const Metrics m = f.task->evaluate(f.backend, f.cfg, f.params);
  ASSERT_TRUE(m.extra.count("mean_abs_phi"));
  // mean |phi| in input units: the network's value divided by the normalisation's scale.
  EXPECT_GT(m.extra.at("mean_abs_phi"), 0.0);
  EXPECT_LT(m.extra.at("mean_abs_phi"), 0.003 * 2 * (kMajor + kMinor) * kScale);
  EXPECT_GT(m.extra.at("normal_consistency"), 0.95);
  EXPECT_LE(m.extra.at("normal_consistency"), 1.0);
}

void check_model_mesh(const FittedTorus& f) {
  auto& backend = f.backend;
  const io::Mesh a = f.task->extract_mesh(backend, f.cfg, f.params, 24);
  const io::Mesh b = extract_model_mesh(backend, f.cfg, f.params, f.task->model_info(), 24);
  EXPECT_EQ(a.vertices, b.vertices);
  EXPECT_EQ(a.triangles, b.triangles);

  auto info = f.task->model_info();
  info["normalization"] = "1 2 three 4";
  EXPECT_THROW(extract_model_mesh(backend, f.cfg, f.params, info, 24), Error);
  info["normalization"] = "1 2 3 -4";
  EXPECT_THROW(extract_model_mesh(backend, f.cfg, f.params, info, 24), Error);
  NetworkConfig image = f.cfg;
  image.in_dim = 2;
  image.out_dim = 3;
  EXPECT_THROW(extract_model_mesh(backend, image, init_parameters(image, 0), {}, 24), Error);
}

// One fit (the expensive part: each test runs in a process of its own) and everything it must show.
TEST(SdfTask, FitOfATorusLiesOnTheSurfaceWithUnitGradientInInputUnits) {
  const FittedTorus f;
  {
    SCOPED_TRACE("zero set, topology, Chamfer");
    check_zero_set(f);
  }
  {
    SCOPED_TRACE("|grad phi| and metrics");
    check_gradient_and_metrics(f);
  }
  {
    SCOPED_TRACE("saved model's mesh, bad models");
    check_model_mesh(f);
  }
}

TEST(NearestNeighbors, AgreesWithBruteForce) {
  std::vector<float> pts, queries;
  uint64_t s = 7;
  auto rnd = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return float(double(s >> 11) / double(1ULL << 53)) * 4 - 2;
  };
  for (int i = 0; i < 3000; ++i) pts.push_back(rnd() * (i % 3 == 2 ? 0.1f : 1.0f));  // a flat slab
  for (int i = 0; i < 600; ++i) queries.push_back(rnd() * 2);  // also far outside
  const geometry::NearestNeighbors nn(pts);
  for (size_t q = 0; q < queries.size() / 3; ++q) {
    double best = 1e30;
    for (size_t i = 0; i < pts.size() / 3; ++i) {
      double d = 0;
      for (int k = 0; k < 3; ++k) d += std::pow(double(pts[i * 3 + size_t(k)]) - queries[q * 3 + size_t(k)], 2);
      best = std::min(best, d);
    }
    ASSERT_NEAR(nn.distance(&queries[q * 3]), std::sqrt(best), 1e-5) << "query " << q;
  }
  EXPECT_DOUBLE_EQ(geometry::chamfer_distance(pts, pts), 0.0);
}

}  // namespace
}  // namespace siren
