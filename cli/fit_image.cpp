#include "cli/train_command.h"
#include "core/io/image.h"
#include "core/tasks/image_task.h"

namespace siren::cli {

void register_fit_image(CLI::App* fit) {
  auto* cmd = fit->add_subcommand("image", "fit a SIREN to an image (PNG/JPEG/BMP/TGA)");
  auto path = std::make_shared<std::string>();
  auto opt = std::make_shared<TrainOptions>();
  cmd->add_option("PATH", *path, "the image")->required();
  add_train_options(cmd, *opt);
  cmd->callback([path, opt] {
    const auto task = ImageTask::from_file(*path, opt->size);
    const TrainedModel m = train_task(*task, *opt);
    if (!opt->out.empty()) {
      const io::Image fit = task->render(*m.backend, m.config, m.params);
      io::save_png(opt->out, fit.width, fit.height, fit.channels, io::to_rgb8(fit));
    }
  });
}

}  // namespace siren::cli
