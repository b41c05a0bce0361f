#include <cstdio>

#include "cli/train_command.h"
#include "core/io/mesh.h"
#include "core/io/model_file.h"
#include "core/tasks/sdf_task.h"
#include "core/util/error.h"

namespace siren::cli {

namespace {
// Surface points per step when --points is not given: the benchmark's 100,000 on a GPU; a tenth of
// that on the CPU, where a step would otherwise take seconds.
constexpr long kGpuPoints = 100'000, kCpuPoints = 10'000;
}  // namespace

void register_fit_sdf(CLI::App* fit) {
  auto* cmd = fit->add_subcommand("sdf", "fit a signed distance function to an oriented point cloud or a mesh");
  struct Args {
    std::string path, mesh;
    long points = 0;
    int resolution = 256;
  };
  auto a = std::make_shared<Args>();
  auto opt = std::make_shared<TrainOptions>();
  cmd->add_option("PATH", a->path, ".xyz (x y z nx ny nz), .ply (points with normals, or a mesh), .obj, .off")
      ->required();
  cmd->add_option("--points", a->points,
                  "surface points per step, as many off-surface (default 100000 on CUDA, 10000 on the CPU)")
      ->check(CLI::Range(1L, 10'000'000L));
  cmd->add_option("--mesh", a->mesh, "extract the zero level set by marching cubes to this .ply or .obj");
  cmd->add_option("--resolution", a->resolution, "marching-cubes grid points per side")
      ->check(CLI::Range(8, 1024))
      ->capture_default_str();
  add_train_options(cmd, *opt);
  cmd->callback([a, opt] {
    const auto task = SdfTask::from_file(a->path);
    auto backend = make_backend(opt->backend, opt->precision);
    TrainOptions o = *opt;
    o.batch = a->points ? a->points : backend->name() == "cuda" ? kGpuPoints : kCpuPoints;
    train_task(*task, o, std::move(backend), [&](const TrainedModel& m, Metrics& metrics) {
      if (a->mesh.empty() && o.report.empty()) return;
      std::fprintf(stderr, "extracting the surface at %d^3 ...\n", a->resolution);
      const io::Mesh mesh = task->extract_mesh(*m.backend, m.config, m.params, a->resolution);
      if (!a->mesh.empty()) io::save_mesh(a->mesh, mesh);
      metrics.extra["mesh_triangles"] = double(mesh.triangle_count());
      metrics.extra["chamfer"] = task->chamfer_to_input(mesh, 100'000, 0);
    });
  });
}

void register_mesh(CLI::App& app) {
  auto* cmd = app.add_subcommand("mesh", "extract the surface of a saved SDF model by marching cubes");
  struct Args {
    std::string model, out, backend = "auto", precision = "fp32";
    int resolution = 256;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("MODEL", a->model, "a .safetensors model saved by `siren fit sdf`")->required();
  cmd->add_option("--resolution", a->resolution, "grid points per side")->check(CLI::Range(8, 1024))->capture_default_str();
  cmd->add_option("--out", a->out, "output .ply or .obj")->required();
  add_backend_options(cmd, a->backend, a->precision);
  cmd->callback([a] {
    const io::Model model = io::load_model(a->model);
    auto backend = make_backend(a->backend, a->precision);
    const io::Mesh mesh = extract_model_mesh(*backend, model.config, model.params, model.info, a->resolution);
    io::save_mesh(a->out, mesh);
    std::printf("wrote %s (%zu vertices, %zu triangles)\n", a->out.c_str(), mesh.vertex_count(), mesh.triangle_count());
  });
}

}  // namespace siren::cli
