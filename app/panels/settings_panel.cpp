#include "app/panels/settings_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "app/panels/backend_controls.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {

const Activation kActivations[] = {Activation::Sine,     Activation::Relu, Activation::ReluPE, Activation::Tanh,
                                   Activation::Softplus, Activation::Elu,  Activation::Selu};
const int kSizes[] = {32, 64, 128, 256, 512};
const size_t kBatches[] = {0, 1024, 4096, 16384, 65536};

bool same_except_backend(RunSettings a, const RunSettings& b) {
  a.session.backend = b.session.backend;
  a.session.precision = b.session.precision;
  return describe_change(a, b).empty();
}

}  // namespace

void SettingsPanel::draw() {
  section("Network");
  const RunSettings current = experiment_.settings();
  if (!dirty_) pending_ = current;
  NetworkConfig& net = pending_.session.network;

  if (ImGui::BeginCombo("Image size", (std::to_string(pending_.image_size) + " px").c_str())) {
    for (int s : kSizes)
      if (ImGui::Selectable((std::to_string(s) + " px").c_str(), s == pending_.image_size)) pending_.image_size = s;
    ImGui::EndCombo();
  }
  tooltip("Resolution the image is resampled to for training (shorter side, centre crop).");

  if (ImGui::BeginCombo("Activation", to_string(net.activation))) {
    for (Activation a : kActivations)
      if (ImGui::Selectable(to_string(a), a == net.activation)) net.activation = a;
    ImGui::EndCombo();
  }
  tooltip("Nonlinearity of the hidden layers: sine is SIREN; the others are the paper's baselines.");

  ImGui::SliderInt("Width", &net.hidden_features, 8, 1024, "%d", ImGuiSliderFlags_Logarithmic);
  tooltip("Hidden features per layer.");
  ImGui::SliderInt("Hidden layers", &net.hidden_layers, 0, 8);
  tooltip("The reference's hidden_layers: N + 1 activation layers, then a linear output layer.");

  ImGui::BeginDisabled(net.activation != Activation::Sine);
  if (ImGui::SliderFloat("w0", &net.omega0, 1.0f, 100.0f, "%.1f", ImGuiSliderFlags_Logarithmic))
    net.first_omega0 = net.omega0;
  tooltip("Frequency of the sine layers, sin(w0 (W x + b)); the paper uses 30.");
  int init = net.init == InitScheme::Siren ? 0 : 1;
  if (ImGui::Combo("Init", &init, "SIREN (paper)\0PyTorch default (naive)\0")) {
    net.init = init == 0 ? InitScheme::Siren : InitScheme::TorchDefault;
  }
  tooltip("SIREN's initialisation keeps every layer's pre-activations near N(0, 1); PyTorch's default\n"
          "uniform init does not (see the Inspect layers tab).");
  ImGui::EndDisabled();

  float lr = pending_.session.adam.lr;
  if (ImGui::SliderFloat("Learning rate", &lr, 1e-6f, 1e-2f, "%.1e", ImGuiSliderFlags_Logarithmic))
    pending_.session.adam.lr = lr;
  tooltip("Adam's learning rate (the reference uses 1e-4 with width 256).");

  auto batch_label = [](size_t b) { return b == 0 ? std::string("all pixels") : std::to_string(b) + " pixels"; };
  if (ImGui::BeginCombo("Batch", batch_label(pending_.session.batch).c_str())) {
    for (size_t b : kBatches)
      if (ImGui::Selectable(batch_label(b).c_str(), b == pending_.session.batch)) pending_.session.batch = b;
    ImGui::EndCombo();
  }
  tooltip("Pixels per step: all of them (the reference), or a random batch that is cheaper per step.");

  const Precision precision = pending_.session.precision;
  if (const std::optional<BackendKind> next = backend_controls(pending_.session)) {
    // Settings still at the old backend's defaults follow the new one's (small on the CPU, reference on a GPU).
    const bool at_defaults = same_except_backend(pending_, default_settings(backend_is_gpu(pending_.session.backend)));
    if (at_defaults) pending_ = default_settings(backend_is_gpu(*next));
    pending_.session.backend = *next;
    pending_.session.precision = precision;
  }

  int seed = int(pending_.session.seed);
  if (ImGui::InputInt("Seed", &seed)) pending_.session.seed = uint64_t(std::max(seed, 0));
  tooltip("Seed of the initial weights and of the random batches.");

  complete_network(net, pending_.image_size);
  const std::string change = describe_change(current, pending_);
  dirty_ = !change.empty();
  const PendingAction action = apply_revert_buttons(dirty_);
  if (action == PendingAction::Apply) experiment_.apply(pending_);
  if (action != PendingAction::None) dirty_ = false;
  ImGui::SameLine();
  if (ImGui::Button("Defaults")) {
    const BackendKind b = pending_.session.backend;
    pending_ = default_settings(backend_is_gpu(b));
    pending_.session.backend = b;
  }
  tooltip("The defaults for this backend: a small network on the CPU, the reference settings on a GPU.");
  if (dirty_) ImGui::TextColored(ImVec4(1, 0.8f, 0.35f, 1), "Changed: %s", change.c_str());
  ImGui::TextDisabled("%s", net.describe().c_str());
}

}  // namespace siren::studio
