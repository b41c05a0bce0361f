#include "app/panels/file_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <ctime>

#include "app/ui_util.h"

namespace siren::studio {

void FilePanel::draw_image_section() {
  section("Image");
  if (path_.empty()) path_ = experiment_.image_path();
  if (focus_path_) {
    ImGui::SetKeyboardFocusHere();
    focus_path_ = false;
  }
  ImGui::SetNextItemWidth(-60.0f);
  const bool enter = ImGui::InputText("##path", &path_, ImGuiInputTextFlags_EnterReturnsTrue);
  tooltip("Path of an image to train on (PNG, JPEG, BMP, ...). Press Enter or Open. Ctrl+O jumps here.\n"
          "You can also drop an image file on the window.");
  ImGui::SameLine();
  if (ImGui::Button("Open") || enter) experiment_.open(path_);
  tooltip("Train on this image; the current run continues until it has loaded.");
  ImGui::SetNextItemWidth(-60.0f);
  if (ImGui::BeginCombo("Recent", nullptr, ImGuiComboFlags_NoPreview)) {
    if (recent_.paths().empty()) ImGui::TextDisabled("No images opened yet");
    for (const std::string& p : recent_.paths())
      if (ImGui::Selectable(p.c_str())) {
        path_ = p;
        experiment_.open(p);
      }
    ImGui::EndCombo();
  }
  tooltip("Images opened lately; pick one to train on it again.");
  if (experiment_.loading()) ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Loading...");
  else ImGui::TextDisabled("Tip: drop an image on the window.");
}

void FilePanel::save_model() { experiment_.save_model(model_path_); }

void FilePanel::screenshot() {
  std::string path = screenshot_path_;
  if (path.empty()) {
    char buf[64];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "siren-studio-%Y%m%d-%H%M%S.png", std::localtime(&t));
    path = buf;
  }
  screenshot_(path);
}

void FilePanel::draw_output_section() {
  section("Model and exports");
  ImGui::SetNextItemWidth(-110.0f);
  ImGui::InputText("##model", &model_path_);
  tooltip("Model file (.safetensors, loadable by PyTorch with the reference's tensor names).");
  ImGui::SameLine();
  if (ImGui::Button("Save")) save_model();
  tooltip("Save the current weights and network settings (Ctrl+S).");
  ImGui::SameLine();
  if (ImGui::Button("Load")) experiment_.load_model(model_path_);
  tooltip("Continue training from the weights in this file (its network must fit this image).");

  ImGui::SetNextItemWidth(110.0f);
  if (ImGui::Combo("##field", &export_field_, "fit\0gradient\0Laplacian\0")) {
    const char* names[] = {"siren-fit.png", "siren-gradient.png", "siren-laplacian.png"};
    export_path_ = names[export_field_];
  }
  tooltip("What to export: the fitted image, its gradient (d/d row | d/d col panels) or its Laplacian.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1.0f);
  ImGui::InputInt("##size", &export_size_, 128, 512);
  export_size_ = std::clamp(export_size_, 2, 4096);
  tooltip("Export resolution in pixels per side (2..4096): the network is evaluated at any resolution.");
  ImGui::SetNextItemWidth(-70.0f);
  ImGui::InputText("##export", &export_path_);
  tooltip("Output file: .png (colour-mapped) or .npy (float32 values).");
  ImGui::SameLine();
  if (ImGui::Button("Export")) experiment_.export_field(export_path_, export_field_, export_size_);
  tooltip("Evaluate the current weights on the grid and write the file (in the background).");

  ImGui::SetNextItemWidth(-110.0f);
  ImGui::InputTextWithHint("##shot", "siren-studio-<time>.png", &screenshot_path_);
  tooltip("Where the screenshot goes; empty: a name with the date and time, in the current folder.");
  ImGui::SameLine();
  if (ImGui::Button("Screenshot")) screenshot();
  tooltip("Save the whole window as a PNG (F12).");
}

}  // namespace siren::studio
