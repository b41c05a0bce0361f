#include <algorithm>
#include <cstdlib>

#include "cli/train_command.h"
#include "core/io/field_export.h"
#include "core/io/model_file.h"
#include "core/tasks/task.h"
#include "core/util/error.h"

namespace siren::cli {

void register_render(CLI::App& app) {
  auto* cmd = app.add_subcommand("render", "evaluate a saved 2-D model on a grid: value, gradient or Laplacian");
  struct Args {
    std::string model, field = "value", out, backend = "auto", precision = "fp32";
    int size = 256;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("MODEL", a->model, "a .safetensors model saved by `siren fit`")->required();
  cmd->add_option("--field", a->field, "value|gradient|laplacian (computed exactly from the network)")
      ->check(CLI::IsMember({"value", "gradient", "laplacian"}))
      ->capture_default_str();
  cmd->add_option("--size", a->size, "grid points per side")->check(CLI::Range(1, 8192))->capture_default_str();
  cmd->add_option("--out", a->out, "output .png (colour-mapped) or .npy (float32)")->required();
  add_backend_options(cmd, a->backend, a->precision);
  cmd->callback([a] {
    const io::Model model = io::load_model(a->model);
    if (model.config.in_dim != 2)
      throw Error(a->model + " maps " + std::to_string(model.config.in_dim) +
                  "-D inputs; `siren render` draws 2-D models (use `siren mesh` for 3-D shapes)");
    const io::Field field = *io::parse_field(a->field);
    auto backend = make_backend(a->backend, a->precision);
    // Long side a->size with the training image's aspect ratio, where the model recorded it.
    int h = a->size, w = a->size;
    const auto ih = model.info.find("image_height"), iw = model.info.find("image_width");
    if (ih != model.info.end() && iw != model.info.end()) {
      const double rh = std::atof(ih->second.c_str()), rw = std::atof(iw->second.c_str());
      if (rh > 0 && rw > 0 && rh != rw) {
        if (rh > rw) w = std::max(1, int(a->size * rw / rh + 0.5));
        else h = std::max(1, int(a->size * rh / rw + 0.5));
      }
    }
    const std::vector<float> grid = pixel_grid(h, w);
    const FieldJets jets = backend->evaluate(model.config, model.params, grid.data(), size_t(h) * w,
                                             io::field_jet_mode(field));
    io::export_field(jets, h, w, model.config.out_dim, field, a->out);
    std::printf("wrote %s (%s, %dx%d)\n", a->out.c_str(), a->field.c_str(), h, w);
  });
}

}  // namespace siren::cli
