// The `siren` program end to end: a tiny fit writes every output it promises, and every bad input
// ends in a clear message and a non-zero exit, never a crash (a signal shows as status >= 128).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/geometry/analytic_shapes.h"
#include "core/io/mesh.h"
#include "core/io/model_file.h"
#include "core/io/npy.h"
#include "core/io/point_cloud.h"

namespace {
using namespace siren;

struct Result {
  int status;
  std::string output;
};

Result run(const std::string& args) {
  const std::string cmd = std::string(SIREN_CLI_PATH) + " " + args + " 2>&1";
  Result r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string tmp(const std::string& name) { return ::testing::TempDir() + "/siren_cli_" + name; }

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void expect_clean_failure(const Result& r, const std::string& must_mention) {
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_LT(r.status, 128) << "crashed: " << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << r.output;
}

const std::string kCamera = std::string(SIREN_ASSETS_DIR) + "/camera.png";
const std::string kTiny = " --size 16 --hidden 16 --layers 1 --steps 5 --backend cpu";

#if SIREN_HAVE_STB
TEST(Cli, TinyFitWritesImageModelAndReportThenRenders) {
  const std::string out = tmp("fit.png"), model = tmp("fit.safetensors"), report = tmp("fit.json");
  const Result r = run("fit image " + kCamera + kTiny + " --out " + out + " --save " + model + " --report " + report);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("PSNR"), std::string::npos);
  std::ifstream rf(report);
  const nlohmann::json j = nlohmann::json::parse(rf);
  for (const char* key : {"task", "steps", "seconds", "ms_per_step", "final_loss", "backend", "device", "parameters",
                          "psnr_db"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["task"], "image");
  EXPECT_EQ(j["steps"], 5);
  EXPECT_EQ(j["backend"], "cpu");
  EXPECT_EQ(j["parameters"], 16 * 2 + 16 + 16 * 16 + 16 + 16 + 1);

  const Result v = run("render " + model + " --field gradient --size 24 --out " + tmp("g.npy") + " --backend cpu");
  ASSERT_EQ(v.status, 0) << v.output;
  const siren::io::NpyArray g = siren::io::read_npy(tmp("g.npy"));
  EXPECT_EQ(g.shape, (std::vector<size_t>{24, 24, 1, 2}));
  const Result l = run("render " + model + " --field laplacian --size 20 --out " + tmp("l.png") + " --backend cpu");
  EXPECT_EQ(l.status, 0) << l.output;
  const Result val = run("render " + model + " --field value --size 20 --out " + tmp("v.npy") + " --backend cpu");
  ASSERT_EQ(val.status, 0) << val.output;
  EXPECT_EQ(siren::io::read_npy(tmp("v.npy")).shape, (std::vector<size_t>{20, 20, 1}));
}

TEST(Cli, PoissonAndBlendRunAndReportTheirFigures) {
  const std::string report = tmp("poisson.json"), out = tmp("poisson.png");
  const Result p = run("fit poisson " + kCamera + " --supervise laplacian" + kTiny + " --report " + report + " --out " + out);
  ASSERT_EQ(p.status, 0) << p.output;
  std::ifstream rf(report);
  const nlohmann::json j = nlohmann::json::parse(rf);
  EXPECT_EQ(j["task"], "poisson");
  for (const char* key : {"psnr_db", "gradient_psnr_db", "laplacian_psnr_db"}) EXPECT_TRUE(j.contains(key)) << key;
  const Result b = run("fit blend " + kCamera + " " + kCamera + " --alpha 0.3 --scale 0.5 --offset 2,3" + kTiny +
                       " --out " + tmp("blend.png"));
  EXPECT_EQ(b.status, 0) << b.output;
  EXPECT_NE(b.output.find("blend:"), std::string::npos) << b.output;
}

TEST(Cli, BlendRejectsBadAlphaPlacementAndMask) {
  expect_clean_failure(run("fit blend " + kCamera + " " + kCamera + kTiny + " --alpha 1.5"), "--alpha");
  expect_clean_failure(run("fit blend " + kCamera + " " + kCamera + kTiny + " --scale 0.5 --offset 12,0"),
                       "does not fit");
  expect_clean_failure(run("fit blend " + kCamera + " " + kCamera + kTiny + " --mask-rect 0,0,40,4"), "--mask-rect");
  expect_clean_failure(run("fit poisson " + kCamera + kTiny), "--supervise");
}

TEST(Cli, SizeZeroIsRejected) { expect_clean_failure(run("fit image " + kCamera + " --size 0"), "--size"); }
#endif

TEST(Cli, MissingImage) { expect_clean_failure(run("fit image " + tmp("nope.png") + kTiny), "nope.png"); }

TEST(Cli, CorruptAndEmptyImages) {
  write_bytes(tmp("corrupt.png"), std::string("\x89PNG\r\n\x1a\n garbage garbage", 24));
  expect_clean_failure(run("fit image " + tmp("corrupt.png") + kTiny), "corrupt.png");
  write_bytes(tmp("empty.png"), "");
  expect_clean_failure(run("fit image " + tmp("empty.png") + kTiny), "empty.png");
}

TEST(Cli, CorruptTruncatedAndMissingModels) {
  write_bytes(tmp("junk.safetensors"), "not a model at all, just text");
  expect_clean_failure(run("render " + tmp("junk.safetensors") + " --out " + tmp("x.png")), "junk.safetensors");
  write_bytes(tmp("short.safetensors"), std::string("\x10\x00\x00", 3));
  expect_clean_failure(run("render " + tmp("short.safetensors") + " --out " + tmp("x.png")), "short.safetensors");
  expect_clean_failure(run("render " + tmp("absent.safetensors") + " --out " + tmp("x.png")), "absent.safetensors");
}

TEST(Cli, BadOptionsAreRejected) {
  expect_clean_failure(run("fit image " + kCamera + " --activation swish"), "swish");
  expect_clean_failure(run("fit image " + kCamera + " --lr -1"), "--lr");
  expect_clean_failure(run("render x.safetensors --field curl --out y.png"), "curl");
  expect_clean_failure(run("frobnicate"), "subcommand");
  expect_clean_failure(run("fit image " + kCamera + " --precision bf16"), "bf16");
}

// A sphere of radius 2 around (1, 2, 3) as an .xyz point cloud.
std::string sphere_xyz() {
  const std::string path = tmp("sphere.xyz");
  io::PointCloud cloud = geometry::sample_sdf_surface(
      [](const geometry::Vec3& p) { return geometry::sphere_sdf(p, {{0, 0, 0}}, 0.5); }, geometry::GridBox{}, 800, 1,
      32);
  for (size_t i = 0; i < cloud.points.size(); ++i) cloud.points[i] = cloud.points[i] * 4 + float(i % 3 + 1);
  io::save_point_cloud_xyz(path, cloud);
  return path;
}

TEST(Cli, SdfFitExportsAMeshWhereTheInputWasAndSiren_meshRepeatsIt) {
  const std::string mesh = tmp("sdf.ply"), model = tmp("sdf.safetensors"), report = tmp("sdf.json");
  const Result r = run("fit sdf " + sphere_xyz() + " --hidden 32 --layers 2 --steps 30 --points 400 --backend cpu"
                       " --resolution 24 --mesh " + mesh + " --save " + model + " --report " + report);
  ASSERT_EQ(r.status, 0) << r.output;
  std::ifstream rf(report);
  const nlohmann::json j = nlohmann::json::parse(rf);
  EXPECT_EQ(j["task"], "sdf");
  for (const char* key : {"mean_abs_phi", "normal_consistency", "chamfer", "mesh_triangles"})
    EXPECT_TRUE(j.contains(key)) << key;
  const io::Mesh m = io::load_mesh(mesh);
  ASSERT_GT(m.triangle_count(), 0u);
  EXPECT_EQ(double(m.triangle_count()), j["mesh_triangles"].get<double>());
  // In the input's units: the mesh's centre is near the sphere's (1, 2, 3), not the origin.
  double c[3] = {0, 0, 0};
  for (size_t i = 0; i < m.vertex_count(); ++i)
    for (int k = 0; k < 3; ++k) c[k] += m.vertices[i * 3 + size_t(k)] / double(m.vertex_count());
  EXPECT_NEAR(c[0], 1, 0.5);
  EXPECT_NEAR(c[1], 2, 0.5);
  EXPECT_NEAR(c[2], 3, 0.5);

  const Result again = run("mesh " + model + " --resolution 24 --backend cpu --out " + tmp("again.obj"));
  ASSERT_EQ(again.status, 0) << again.output;
  const io::Mesh m2 = io::load_mesh(tmp("again.obj"));
  EXPECT_EQ(m2.triangles, m.triangles);
  ASSERT_EQ(m2.vertices.size(), m.vertices.size());
  for (size_t i = 0; i < m.vertices.size(); ++i) ASSERT_NEAR(m2.vertices[i], m.vertices[i], 1e-5) << i;
}

// --first-omega0 and --precision reach the network and the report (the CPU reports fp32 whatever is asked).
TEST(Cli, FirstOmegaAndPrecisionReachModelAndReport) {
  const std::string model = tmp("w0.safetensors"), report = tmp("w0.json");
  const Result r = run("fit sdf " + sphere_xyz() + " --hidden 8 --layers 1 --steps 2 --points 100 --backend cpu"
                       " --first-omega0 12.5 --precision tf32 --save " + model + " --report " + report);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("GPU only"), std::string::npos) << r.output;
  const io::Model m = io::load_model(model);
  EXPECT_EQ(m.config.first_omega0, 12.5f);
  EXPECT_EQ(m.config.omega0, 30.0f);
  std::ifstream rf(report);
  EXPECT_EQ(nlohmann::json::parse(rf)["precision"], "fp32");

  // fp16 is accepted and named in the CPU's notice; an unknown precision is refused by name.
  const Result half = run("fit sdf " + sphere_xyz() + " --hidden 8 --layers 1 --steps 2 --points 100 --backend cpu"
                          " --precision fp16");
  ASSERT_EQ(half.status, 0) << half.output;
  EXPECT_NE(half.output.find("--precision fp16 applies to the GPU only"), std::string::npos) << half.output;
  expect_clean_failure(run("fit sdf " + sphere_xyz() + " --steps 2 --backend cpu --precision bf16"), "bf16");
}

TEST(Cli, SdfInputsAndModelsThatAreNotShapes) {
  write_bytes(tmp("bare.xyz"), "0 0 0\n1 0 0\n0 1 0\n");
  expect_clean_failure(run("fit sdf " + tmp("bare.xyz") + " --backend cpu --steps 2"), "bare.xyz");
  write_bytes(tmp("cut.ply"), "ply\nformat binary_little_endian 1.0\nelement vertex 10\nproperty float x\n");
  expect_clean_failure(run("fit sdf " + tmp("cut.ply") + " --backend cpu --steps 2"), "cut.ply");
  expect_clean_failure(run("fit sdf " + tmp("absent.off") + " --backend cpu --steps 2"), "absent.off");
#if SIREN_HAVE_STB
  const Result img = run("fit image " + kCamera + kTiny + " --save " + tmp("image.safetensors"));
  ASSERT_EQ(img.status, 0) << img.output;
  expect_clean_failure(run("mesh " + tmp("image.safetensors") + " --out " + tmp("image.ply")), "3 -> 1");
#endif
  expect_clean_failure(run("fit sdf " + sphere_xyz() + " --points 0"), "--points");
}

// The bundled shape is the project's own analytic shape, and `siren make-shape` remakes it.
TEST(Cli, BundledShapeIsTheAnalyticCompositeAndMakeShapeRemakesIt) {
  const io::PointCloud asset = io::load_point_cloud(std::string(SIREN_ASSETS_DIR) + "/shape.ply");
  ASSERT_EQ(asset.size(), 20000u);
  for (size_t i = 0; i < asset.size(); ++i) {
    const float* p = &asset.points[i * 3];
    const float* n = &asset.normals[i * 3];
    const geometry::Vec3 q{{p[0], p[1], p[2]}};
    ASSERT_LT(std::abs(geometry::composite_shape_sdf(q)), 1e-5) << "point " << i;
    geometry::Vec3 g = geometry::sdf_gradient(geometry::composite_shape_sdf, q);
    const double gn = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    ASSERT_GT((g[0] * n[0] + g[1] * n[1] + g[2] * n[2]) / gn, 0.999) << "normal " << i;
  }
  const Result r = run("make-shape --out " + tmp("shape.ply"));
  ASSERT_EQ(r.status, 0) << r.output;
  const io::PointCloud again = io::load_point_cloud(tmp("shape.ply"));
  ASSERT_EQ(again.points.size(), asset.points.size());
  for (size_t i = 0; i < asset.points.size(); ++i) {
    ASSERT_NEAR(again.points[i], asset.points[i], 1e-6) << i;
    ASSERT_NEAR(again.normals[i], asset.normals[i], 1e-5) << i;
  }
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"", "fit", "fit image", "fit poisson", "fit blend", "fit sdf", "render", "mesh", "make-shape"}) {
    const Result r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub << ": " << r.output;
  }
}

}  // namespace
