#include <cmath>

#include "cli/train_command.h"
#include "core/io/image.h"
#include "core/tasks/blend_task.h"
#include "core/util/error.h"

namespace siren::cli {

void register_fit_blend(CLI::App* fit) {
  auto* cmd = fit->add_subcommand("blend", "blend two images by fitting a SIREN to a mix of their gradients");
  struct Args {
    std::string a, b, rule = "linear";
    float alpha = 0.5f, scale = 1.0f;
    std::vector<int> offset, mask_rect;
  };
  auto args = std::make_shared<Args>();
  auto opt = std::make_shared<TrainOptions>();
  cmd->add_option("A", args->a, "the base image")->required();
  cmd->add_option("B", args->b, "the image blended into A")->required();
  cmd->add_option("--alpha", args->alpha, "weight of A's gradient where B lies: a grad A + (1 - a) grad B")
      ->capture_default_str();
  cmd->add_option("--rule", args->rule, "linear (the mix above) | clone (B's gradients) | mixed (the stronger one)")
      ->check(CLI::IsMember({"linear", "clone", "mixed"}))
      ->capture_default_str();
  cmd->add_option("--scale", args->scale, "B's side as a fraction of A's")->capture_default_str();
  cmd->add_option("--offset", args->offset, "B's top-left pixel in A: ROW,COL")->delimiter(',')->expected(2);
  cmd->add_option("--mask-rect", args->mask_rect, "blend only inside this rectangle of A: R0,C0,R1,C1 (pixels)")
      ->delimiter(',')
      ->expected(4);
  add_train_options(cmd, *opt);
  cmd->callback([args, opt] {
    if (!(args->scale > 0.0f && args->scale <= 1.0f)) throw Error("--scale must be in (0, 1]");
    const io::Image a = io::resize_square(io::load_image(args->a), opt->size);
    const int b_size = std::max(3, int(std::lround(double(opt->size) * args->scale)));
    const io::Image b = io::resize_square(io::load_image(args->b), b_size);
    BlendSettings s;
    s.alpha = args->alpha;
    s.rule = args->rule == "linear" ? BlendRule::Linear : args->rule == "clone" ? BlendRule::Clone : BlendRule::Mixed;
    if (!args->offset.empty()) {
      s.row = args->offset[0];
      s.col = args->offset[1];
    }
    if (!args->mask_rect.empty()) {
      const int r0 = args->mask_rect[0], c0 = args->mask_rect[1], r1 = args->mask_rect[2], c1 = args->mask_rect[3];
      if (r0 < 0 || c0 < 0 || r1 > a.height || c1 > a.width || r0 >= r1 || c0 >= c1)
        throw Error("--mask-rect " + std::to_string(r0) + "," + std::to_string(c0) + "," + std::to_string(r1) + "," +
                    std::to_string(c1) + " is outside the " + std::to_string(a.width) + "x" +
                    std::to_string(a.height) + " image or empty");
      s.mask.assign(size_t(a.width) * a.height, 0.0f);
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c) s.mask[size_t(r) * a.width + size_t(c)] = 1.0f;
    }
    const BlendTask task(a, b, s);
    const TrainedModel m = train_task(task, *opt);
    if (!opt->out.empty()) {
      const io::Image img = task.composite(*m.backend, m.config, m.params);
      io::save_png(opt->out, img.width, img.height, img.channels, io::to_rgb8(img));
    }
  });
}

}  // namespace siren::cli
