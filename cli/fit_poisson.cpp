#include "cli/train_command.h"
#include "core/io/image.h"
#include "core/tasks/poisson_task.h"

namespace siren::cli {

void register_fit_poisson(CLI::App* fit) {
  auto* cmd = fit->add_subcommand("poisson", "fit an image from its gradient or its Laplacian alone (Poisson)");
  auto path = std::make_shared<std::string>();
  auto supervise = std::make_shared<std::string>();
  auto opt = std::make_shared<TrainOptions>();
  cmd->add_option("PATH", *path, "the image whose derivatives supervise the network")->required();
  cmd->add_option("--supervise", *supervise, "gradient|laplacian: what the loss sees")
      ->required()
      ->check(CLI::IsMember({"gradient", "laplacian"}));
  add_train_options(cmd, *opt);
  cmd->callback([path, supervise, opt] {
    const Supervision s = *supervise == "gradient" ? Supervision::Gradient : Supervision::Laplacian;
    const auto task = PoissonTask::from_file(*path, opt->size, s);
    const TrainedModel m = train_task(*task, *opt);
    if (!opt->out.empty()) {
      const io::Image img = task->reconstruct(*m.backend, m.config, m.params);
      io::save_png(opt->out, img.width, img.height, img.channels, io::to_rgb8(img));
    }
  });
}

}  // namespace siren::cli
