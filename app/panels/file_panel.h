#pragma once
#include <functional>
#include <string>

#include "app/experiment.h"
#include "app/recent_files.h"

namespace siren::studio {

// Images in (path field, recent files; dropping files is handled by the app), models in and out,
// field exports at any resolution, and screenshots of the window.
class FilePanel {
 public:
  FilePanel(Experiment& experiment, RecentFiles& recent, std::function<void(const std::string&)> screenshot)
      : experiment_(experiment), recent_(recent), screenshot_(std::move(screenshot)) {}
  void draw_image_section();
  void draw_output_section();

  void focus_path() { focus_path_ = true; }  // Ctrl+O
  void save_model();                         // Ctrl+S
  void screenshot();                         // F12

 private:
  Experiment& experiment_;
  RecentFiles& recent_;
  std::function<void(const std::string&)> screenshot_;
  std::string path_;
  bool focus_path_ = false;
  std::string model_path_ = "siren-model.safetensors";
  std::string export_path_ = "siren-laplacian.png";
  int export_field_ = 2;
  int export_size_ = 512;
  std::string screenshot_path_;
};

}  // namespace siren::studio
