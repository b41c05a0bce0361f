#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace siren::studio {

// Steps a --screenshot run trains when --steps is not given.
constexpr uint64_t kDefaultScreenshotSteps = 200;

// The command line (DESIGN.md section 5): siren-studio [FILE] [--mode M] [--backend B] [--steps N]
// [--screenshot PNG], plus --precision P (the first run's, as siren fit's) and the hidden automation
// options tests use.
struct StudioOptions {
  std::string file;  // empty: the bundled image
  std::string mode = "image";
  std::string backend = "auto";
  std::string precision = "fp32";  // fp32|tf32|fp16: the GPU's products in the first run
  std::optional<uint64_t> steps;
  std::string screenshot;          // with it: train, capture the window and a layout JSON, exit
  std::vector<std::string> drops;  // --drop: handed to the window's drop handler once it is up
  std::string tab;                 // --tab: which tab to show (views, compare, inspect)
  std::vector<int> pointer;        // --pointer X,Y: where the mouse rests for --screenshot (default: a corner)
  bool active = false;             // --active: frames at the display's rate throughout, as while a user interacts
  double zoom = 1;                 // --zoom: magnify the views about their centre before training
  std::optional<float> lr;         // --lr: the first run's learning rate (tests drive the divergence guard with it)
  std::vector<std::string> params;  // --param KEY=VALUE: a mode's settings for tests (blend: alpha, rule, scale, b)
  std::string switch_to;           // --switch-to: once the first mode shows its data, switch to this mode
  std::vector<std::string> compare;  // --compare: activations to train side by side (then the steps are theirs)
  int width = 1600, height = 1000;
};

}  // namespace siren::studio
