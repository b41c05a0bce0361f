// Seconds of training until the surface a SIREN learns lies within 1% of the shape's size of the input
// points (the "time to Chamfer 1% of the bounding box"), on any backend. Plain main rather
// than Google Benchmark: one long run with checkpoints, not a repeated kernel.
//
//   bench_sdf_convergence [--shape PLY] [--backend auto|cpu|cuda] [--hidden N] [--layers N]
//                         [--first-omega0 X] [--points N] [--check-every N] [--resolution N]
//                         [--target F] [--max-seconds S] [--json OUT]
//
// Training time excludes the checkpoints (surface extraction and Chamfer distance); the Chamfer
// distance is the symmetric mean of nearest-point distances (SdfTask::chamfer_to_input, 100,000
// samples), divided by the largest side of the input's bounding box.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/backend/backend.h"
#include "core/network/parameters.h"
#include "core/tasks/sdf_task.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

using namespace siren;

int main(int argc, char** argv) {
  CLI::App app{"time to a Chamfer distance of a given fraction of the shape's size"};
  std::string shape = std::string(SIREN_ASSETS_DIR) + "/shape.ply", backend_name = "auto", json_out;
  int hidden = 256, layers = 3, check_every = 100, resolution = 128;
  float first_omega0 = 30.0f, lr = 1e-4f;
  long points = 0;
  double target = 0.01, max_seconds = 600;
  app.add_option("--shape", shape)->capture_default_str();
  app.add_option("--backend", backend_name)->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  app.add_option("--hidden", hidden)->capture_default_str();
  app.add_option("--layers", layers)->capture_default_str();
  app.add_option("--first-omega0", first_omega0)->capture_default_str();
  app.add_option("--lr", lr)->capture_default_str();
  app.add_option("--points", points,
                 "surface points per step, at most the shape's (default 100000 on CUDA, 10000 on the CPU)");
  app.add_option("--check-every", check_every)->capture_default_str();
  app.add_option("--resolution", resolution)->capture_default_str();
  app.add_option("--target", target)->capture_default_str();
  app.add_option("--max-seconds", max_seconds)->capture_default_str();
  app.add_option("--json", json_out);
  CLI11_PARSE(app, argc, argv);
  try {
    const auto task = SdfTask::from_file(shape);
    std::string notice;
    std::unique_ptr<Backend> backend = create_backend(*parse_backend_kind(backend_name), &notice);
    if (!notice.empty()) std::fprintf(stderr, "%s\n", notice.c_str());
    if (!points) points = backend->name() == "cuda" ? 100'000 : 10'000;
    // A batch of at least the shape's point count trains on all its points each step (Trainer::step),
    // so that is what a step costs and what the report must say (the bundled shape has 20,000).
    const long available = long(task->training_data()->count);
    const bool whole_shape = points >= available;
    points = std::min(points, available);

    // The shape's size in its own units.
    const std::vector<float>& c = task->training_data()->coords;
    float lo = 1e30f, hi = -1e30f;
    for (float v : c) lo = std::min(lo, v), hi = std::max(hi, v);
    const double size = task->normalization().length_to_input(double(hi) - lo);

    NetworkConfig cfg;
    cfg.in_dim = 3;
    cfg.out_dim = 1;
    cfg.hidden_features = hidden;
    cfg.hidden_layers = layers;
    cfg.first_omega0 = first_omega0;
    AdamConfig adam;
    adam.lr = lr;
    adam.clip_grad_norm = task->gradient_clip();
    auto trainer = backend->make_trainer(cfg, init_parameters(cfg, 0), adam, task->training_data(), size_t(points), 0);
    std::fprintf(stderr, "%s on %s (%s), %ld + %ld points per step%s, shape size %.4g\n", cfg.describe().c_str(),
                 backend->name().c_str(), backend->device().c_str(), points, points,
                 whole_shape ? " (all the shape's points)" : "", size);

    nlohmann::json checkpoints = nlohmann::json::array();
    double train_seconds = 0, reached = -1;
    uint64_t steps = 0;
    // Written after every checkpoint, so that a run stopped from outside (a time limit) keeps them.
    auto report = [&] {
      nlohmann::json r = {{"backend", backend->name()}, {"device", backend->device()}, {"network", cfg.describe()},
                          {"points_per_step", points}, {"whole_shape_per_step", whole_shape},
                          {"target_fraction", target}, {"shape", shape},
                          {"seconds_to_target", reached < 0 ? nlohmann::json(nullptr) : nlohmann::json(reached)},
                          {"steps", steps}, {"ms_per_step", steps ? 1e3 * train_seconds / double(steps) : 0.0},
                          {"checkpoints", checkpoints}};
      if (!json_out.empty()) write_file_atomically(json_out, {r.dump(2) + "\n"});
      return r;
    };
    while (train_seconds < max_seconds) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < check_every; ++i) trainer->step();
      std::vector<float> params = trainer->parameters();  // waits for the device, inside the timing
      train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      steps += uint64_t(check_every);
      const io::Mesh mesh = task->extract_mesh(*backend, cfg, params, resolution);
      const double chamfer = task->chamfer_to_input(mesh, 100'000, 0) / size;
      std::fprintf(stderr, "step %6llu  %8.1f s  Chamfer %.4f of the size\n", static_cast<unsigned long long>(steps),
                   train_seconds, chamfer);
      checkpoints.push_back({{"step", steps}, {"train_seconds", train_seconds}, {"chamfer_fraction", chamfer}});
      if (chamfer <= target) reached = train_seconds;
      report();
      if (reached >= 0) break;
    }
    std::printf("%s\n", report().dump().c_str());
    return reached < 0 ? 3 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sdf_convergence: %s\n", e.what());
    return 1;
  }
}
