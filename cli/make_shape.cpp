#include <cstdio>

#include "cli/train_command.h"
#include "core/geometry/analytic_shapes.h"
#include "core/io/point_cloud.h"

namespace siren::cli {

// The default shape of assets/ is made by the project itself, not taken from a scan, so that its
// licence is ours and anyone can regenerate it (assets/README.md).
void register_make_shape(CLI::App& app) {
  auto* cmd = app.add_subcommand("make-shape",
                                 "write the bundled default shape (an analytic composite: rounded box, ring, "
                                 "dimple) as an oriented point cloud");
  struct Args {
    std::string out;
    size_t points = 20'000;
    uint64_t seed = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--out", a->out, "output .ply (binary, with normals) or .xyz")->required();
  cmd->add_option("--points", a->points, "points on the surface, uniform by area")
      ->check(CLI::Range(size_t(1), size_t(10'000'000)))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "random seed of the sampling")->capture_default_str();
  cmd->callback([a] {
    const io::PointCloud cloud = geometry::make_default_shape(a->points, a->seed);
    io::save_point_cloud(a->out, cloud);
    std::printf("wrote %s (%zu oriented points)\n", a->out.c_str(), cloud.size());
  });
}

}  // namespace siren::cli
