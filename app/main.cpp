// siren-studio: the GUI (DESIGN.md section 5).
//   siren-studio [FILE] [--mode M] [--backend B] [--precision P] [--steps N] [--screenshot PNG]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/studio_app.h"

int main(int argc, char** argv) {
  siren::studio::StudioOptions opt;
  CLI::App cli{"SIREN Studio: train sinusoidal representation networks on images, their derivatives and shapes, and watch them learn"};
  cli.add_option("file", opt.file, "image (or, in the sdf mode, point cloud or mesh) to train on; default: the bundled one");
  cli.add_option("--mode", opt.mode, "experiment: image|poisson|blend|sdf")->capture_default_str();
  cli.add_option("--backend", opt.backend, "auto|cpu|cuda")->capture_default_str();
  cli.add_option("--precision", opt.precision,
                 "fp32|tf32|fp16: the GPU's matrix products in the first run (as siren fit's; the Precision setting "
                 "changes it later)")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16"}))
      ->capture_default_str();
  uint64_t steps = 0;
  auto* steps_opt = cli.add_option("--steps", steps, "train this many steps, then pause (with --screenshot: then exit)")
                        ->check(CLI::Range(uint64_t(0), uint64_t(100'000'000)));
  cli.add_option("--screenshot", opt.screenshot,
                 "train --steps steps (200 if not given), save the window to this PNG and a layout to PNG.json, exit");
  // For tests: these go through the same code as a user's actions, and are not part of the contract.
  cli.add_option("--drop", opt.drops, "act as if this file had been dropped on the window")->group("");
  cli.add_option("--param", opt.params, "KEY=VALUE: a mode's setting (blend: alpha, rule, scale, b=PATH; sdf: mesh=PATH, mesh_resolution=N)")->group("");
  cli.add_option("--switch-to", opt.switch_to, "switch to this mode once the first shows its data")->group("");
  cli.add_option("--tab", opt.tab, "tab to show first: views|compare|inspect")->group("");
  cli.add_option("--pointer", opt.pointer, "X,Y: where the mouse rests during --screenshot")
      ->delimiter(',')
      ->expected(2)
      ->group("");
  float lr = 0;
  auto* lr_opt = cli.add_option("--lr", lr, "learning rate of the first run")->check(CLI::PositiveNumber)->group("");
  cli.add_flag("--active", opt.active, "draw every frame at the display's rate, as while a user interacts")->group("");
  cli.add_option("--zoom", opt.zoom, "magnify the views about their centre")->check(CLI::Range(1.0, 512.0))->group("");
  cli.add_option("--compare", opt.compare, "activations to train side by side (their steps count)")
      ->delimiter(',')
      ->check(CLI::IsMember({"sine", "relu", "relu-pe", "tanh", "softplus", "elu", "selu"}))
      ->group("");
  cli.add_option("--window-size", opt.width, "window width")->group("");
  cli.add_option("--window-height", opt.height, "window height")->group("");
  CLI11_PARSE(cli, argc, argv);
  if (*steps_opt) opt.steps = steps;
  // Resolved here so that every part (the automation, a mode's scripted actions) sees the same count.
  if (!opt.screenshot.empty() && !opt.steps) opt.steps = siren::studio::kDefaultScreenshotSteps;
  if (*lr_opt) opt.lr = lr;

  try {
    siren::studio::StudioApp app(opt);
    return app.run();
  } catch (const std::exception& e) {
    // Only failures before there is a window end up here: there is nowhere else to show them.
    std::fprintf(stderr, "siren-studio: %s\n", e.what());
    return 1;
  }
}
