#include "app/modes/blend/blend_mode.h"
#include "app/modes/blend/blend_fields.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "app/assets.h"
#include "app/background.h"
#include "app/panels/line_plot.h"
#include "app/recent_files.h"
#include "app/studio_options.h"
#include "app/ui_util.h"
#include "app/views/field_renderer.h"
#include "core/io/model_file.h"
#include "core/session/session.h"
#include "core/tasks/image_derivatives.h"
#include "core/util/error.h"

namespace siren::studio {

namespace {

constexpr int kViewKey = 4;  // worker keys 12..14 (NetworkFields uses key * 3 + 0..2)
constexpr int kGeneratedSide = 256;
// Far above any training size of the blend (B is at most A's side), small enough to keep in memory.
constexpr int kMaxKeptSide = 2048;
const char* kRules[] = {"linear mix", "clone (B inside the mask)", "mixed (stronger gradient)"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

struct BlendMode::Built {
  uint64_t serial = 0;
  std::shared_ptr<const BlendTask> task;
  std::shared_ptr<const io::Image> a;
  std::shared_ptr<const FieldImages> a_fields, b_fields, target_fields;
  std::shared_ptr<Session> session;
  std::string error;
};

struct BlendMode::Inbox {
  std::mutex mu;
  std::vector<Built> built;
  struct Loaded {
    int which = 0;  // 0: A, 1: B, -1: nothing (a model load ending)
    std::string path;
    std::shared_ptr<const io::Image> image;  // null when it did not open
  };
  std::vector<Loaded> loaded;
  std::vector<Notice> notices;
};

BlendMode::BlendMode(ModeContext& context)
    : context_(context),
      settings_(derivative_task_settings(context.options)),
      autostart_(!context.automated),
      fields_(context.view_worker, kViewKey),
      a_view_("image_a", "A: drag B over it", "Image A at its training size. B's outline shows where it goes: drag it\n"
                                               "(Move), or draw the mask (Rectangle, Brush, Erase; see Edit, left)."),
      b_view_("image_b", "B", "Image B as loaded (resampled to its placed size for training)."),
      composite_view_("composite", "Composite (network)",
                      "The network's output, its free constant matched to the naive composite: the blend."),
      naive_view_("naive", "B pasted (no blending)", "What the blend looks like with B pasted as it is: the seams\n"
                                                     "that gradient-domain blending removes."),
      target_view_("target_grad", "|target gradient|", "Length of the gradient the network is trained to match."),
      gradient_view_("grad_mag", "|grad| network (exact)", "Length of the network's gradient, from its jets."),
      inbox_(std::make_shared<Inbox>()) {
  for (const std::string& p : context.options.params) {
    const size_t eq = p.find('=');
    const std::string key = p.substr(0, eq), value = eq == std::string::npos ? "" : p.substr(eq + 1);
    try {
      if (key == "alpha") edit_.alpha = std::clamp(std::stof(value), 0.0f, 1.0f);
      else if (key == "scale") edit_.scale = std::clamp(std::stod(value), 0.05, 1.0);
      else if (key == "rule" && value == "clone") edit_.rule = BlendRule::Clone;
      else if (key == "rule" && value == "mixed") edit_.rule = BlendRule::Mixed;
      else if (key == "rule" && value == "linear") edit_.rule = BlendRule::Linear;
      else if (key == "b") paths_[1] = value;
      else context.notices.warning("Blend: ignored the setting '" + p + "'.");
    } catch (const std::exception&) {
      context.notices.error("Blend: the setting '" + p + "' is not a number.");
    }
  }
  edit_.placement = centred_placement(settings_.image_size, settings_.image_size, edit_.scale);
  if (paths_[1].empty()) originals_[1] = std::make_shared<const io::Image>(procedural_image(kGeneratedSide));
  else load_image(1, paths_[1]);
  load_image(0, context.options.file.empty() ? bundled_image_path() : context.options.file);
}

BlendMode::~BlendMode() {
  // At exit the threads are gone: the sessions end here. After retire() there are none left.
  session_.reset();
}

void BlendMode::report(NoticeLevel level, std::string text) {
  std::lock_guard<std::mutex> lock(inbox_->mu);
  inbox_->notices.push_back({level, std::move(text), 0});
}

void BlendMode::release(std::shared_ptr<Session> s) {
  // A session's destructor waits for its training step to end: let the background thread wait.
  if (s) context_.background.post([s]() mutable { s.reset(); });
}

void BlendMode::retire() {
  retired_ = true;
  ++serial_;
  release(std::move(session_));
}

void BlendMode::load_image(int which, const std::string& path) {
  if (retired_) return;
  ++pending_;
  path_fields_[which] = path;
  auto inbox = inbox_;
  context_.background.post([inbox, which, path] {
    std::shared_ptr<const io::Image> img;
    std::string error;
    try {
      img = std::make_shared<const io::Image>(bounded_for_blend(io::load_image(path), kMaxKeptSide));
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(inbox->mu);
    inbox->loaded.push_back({which, path, img});
    if (!error.empty())
      inbox->notices.push_back({NoticeLevel::Error, "Could not open " + path + " as image " + (which ? "B" : "A") + ": " + error, 0});
    else
      inbox->notices.push_back({NoticeLevel::Info, std::string("Image ") + (which ? "B" : "A") + ": " + path, 0});
  });
}

void BlendMode::rebuild(bool fresh_weights) {
  if (retired_ || !originals_[0] || !originals_[1]) return;
  const uint64_t serial = ++serial_;
  ++pending_;
  const int size = settings_.image_size;
  edit_.placement = clamp_placement(edit_.placement, size, size);
  const Edit edit = edit_;
  const RunSettings settings = settings_;
  WeightsSnapshot warm;
  if (!fresh_weights && session_) warm = session_->snapshot();
  const bool start = autostart_ || (session_ && session_->status().state == SessionState::Running);
  auto a_orig = originals_[0], b_orig = originals_[1];
  auto inbox = inbox_;
  context_.background.post([inbox, serial, size, edit, settings, warm, start, a_orig, b_orig] {
    Built built;
    built.serial = serial;
    std::vector<Notice> notes;
    try {
      auto a = std::make_shared<const io::Image>(io::resize_square(*a_orig, size));
      const io::Image b = io::resize_square(*b_orig, edit.placement.side);
      BlendSettings s;
      s.alpha = edit.alpha;
      s.rule = edit.rule;
      s.row = edit.placement.row;
      s.col = edit.placement.col;
      s.mask = edit.mask;
      auto task = std::make_shared<const BlendTask>(*a, b, s);
      built.a_fields = std::make_shared<const FieldImages>(fields_from_image(*a, image_derivatives(*a)));
      built.b_fields = std::make_shared<const FieldImages>(fields_from_image(*b_orig, image_derivatives(*b_orig)));
      FieldJets target;
      const io::Image& naive = task->naive_composite();
      target.value.resize(naive.pixels.size());
      for (size_t i = 0; i < naive.pixels.size(); ++i) target.value[i] = naive.pixels[i] * 2.0f - 1.0f;
      target.gradient = task->target_gradient();
      built.target_fields = std::make_shared<const FieldImages>(fields_from_jets(
          target, naive.height, naive.width, naive.channels, image_rect(naive.height, naive.width), nullptr));
      // Built here, on the lowered background thread, so its training threads inherit the priority.
      built.session = std::make_shared<Session>(task, settings.session);
      if (warm.params) {
        try {
          built.session->load(warm.config, *warm.params);
        } catch (const std::exception& e) {
          notes.push_back({NoticeLevel::Info, std::string("Blend: fresh weights (") + e.what() + ").", 0});
        }
      }
      if (start) built.session->start();
      built.task = task;
      built.a = a;
    } catch (const std::exception& e) {
      built.error = e.what();
      built.session.reset();
    }
    std::lock_guard<std::mutex> lock(inbox->mu);
    inbox->built.push_back(std::move(built));
    for (Notice& n : notes) inbox->notices.push_back(std::move(n));
  });
}

void BlendMode::install(Built&& b) {
  if (!b.error.empty()) {
    context_.notices.error("Could not build the blend: " + b.error);
    return;
  }
  if (b.serial != serial_) {  // overtaken by a later edit
    release(std::move(b.session));
    return;
  }
  const bool first = !session_;
  release(std::move(session_));
  session_ = std::move(b.session);
  task_ = std::move(b.task);
  a_ = std::move(b.a);
  align_ = composite_alignment(task_);
  fields_.set_align(align_);
  a_fields_ = std::move(b.a_fields);
  b_fields_ = std::move(b.b_fields);
  target_fields_ = std::move(b.target_fields);
  if (a_fields_) a_tex_.upload(*a_fields_, true, true);
  if (b_fields_) b_tex_.upload(*b_fields_, true, true);
  if (target_fields_) target_tex_.upload(*target_fields_, true, true);
  if (first)
    context_.notices.info("Blending B into A (" + std::to_string(a_->width) + "x" + std::to_string(a_->height) + ", " +
                          session_->settings().network.describe() + ", " + session_->status().backend + " backend)");
}

void BlendMode::poll() {
  std::vector<Built> built;
  std::vector<Inbox::Loaded> loaded;
  std::vector<Notice> notices;
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    built.swap(inbox_->built);
    loaded.swap(inbox_->loaded);
    notices.swap(inbox_->notices);
  }
  for (Notice& n : notices) context_.notices.add(n.level, std::move(n.text));
  bool changed = false;
  for (Inbox::Loaded& l : loaded) {
    --pending_;
    if (!l.image || l.which < 0) continue;
    originals_[l.which] = std::move(l.image);
    paths_[l.which] = l.path;
    context_.recent.add(l.path);
    changed = true;
  }
  if (changed) rebuild(false);
  for (Built& b : built) {
    --pending_;
    install(std::move(b));
  }
  if (session_) forward_session_notices(context_.notices, *session_);
}

void BlendMode::drop_files(const std::vector<std::string>& paths) {
  std::vector<std::string> images;
  for (const std::string& p : paths) {
    if (ends_with(p, ".safetensors")) {
      if (!session_) {
        context_.notices.error("Open the images before loading a model for them.");
        continue;
      }
      auto session = session_;
      auto inbox = inbox_;
      ++pending_;
      context_.background.post([inbox, session, p] {
        Notice n;
        try {
          io::Model m = io::load_model(p);
          session->load(m.config, std::move(m.params));
          session->wait_idle();
          n = {NoticeLevel::Info, "Loaded " + p + "; training continues from its weights.", 0};
        } catch (const std::exception& e) {
          n = {NoticeLevel::Error, "Could not load the model " + p + ": " + e.what(), 0};
        }
        std::lock_guard<std::mutex> lock(inbox->mu);
        inbox->notices.push_back(std::move(n));
        inbox->loaded.push_back({-1, p, nullptr});  // ends the pending count
      });
    } else {
      images.push_back(p);
    }
  }
  // One image replaces B (the one being placed); two replace A and B.
  if (images.size() == 1) load_image(1, images[0]);
  if (images.size() >= 2) {
    load_image(0, images[0]);
    load_image(1, images[1]);
  }
  if (images.size() > 2) context_.notices.warning("A blend takes two images; ignored the rest of the dropped files.");
}

void BlendMode::toggle_training() {
  if (!session_) return;
  if (session_->status().state == SessionState::Running) session_->pause();
  else session_->start();
}

void BlendMode::single_step() {
  if (session_) session_->step(1);
}

void BlendMode::reset() {
  if (!session_) return;
  session_->reset();
  context_.notices.info("Blend restarted from fresh weights.");
}

std::string BlendMode::shortcut_help() const {
  return "Space start/pause  S step  R fresh weights\nDrag B in view A  F12 screenshot";
}

void BlendMode::draw_image_section() {
  section("Images");
  for (int which = 0; which < 2; ++which) {
    ImGui::PushID(which);
    ImGui::SetNextItemWidth(-60.0f);
    const bool enter = ImGui::InputTextWithHint("##path", which ? "(generated rings)" : "image A", &path_fields_[which],
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    tooltip(which ? "Image B, placed over A (PNG, JPEG, ...). Dropping one image on the window replaces B;\n"
                    "two replace A and B."
                  : "Image A, the base (PNG, JPEG, ...), resampled to the training size.");
    ImGui::SameLine();
    if (ImGui::Button(which ? "Open B" : "Open A") || enter) load_image(which, path_fields_[which]);
    tooltip("Load this image; the blend carries on from the current weights once it has loaded.");
    ImGui::PopID();
  }
  ImGui::SetNextItemWidth(-60.0f);
  if (ImGui::BeginCombo("Recent", nullptr, ImGuiComboFlags_NoPreview)) {
    if (context_.recent.paths().empty()) ImGui::TextDisabled("No images opened yet");
    for (const std::string& p : context_.recent.paths()) {
      ImGui::PushID(p.c_str());
      ImGui::TextUnformatted(p.c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("as A")) load_image(0, p);
      tooltip("Use this image as A, the base.");
      ImGui::SameLine();
      if (ImGui::SmallButton("as B")) load_image(1, p);
      tooltip("Use this image as B, the one placed over A.");
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  tooltip("Images opened lately: use one as A or as B.");
  if (loading()) ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Loading...");
}

void BlendMode::draw_edit_section() {
  section("Edit");
  const int size = settings_.image_size;
  ImGui::SliderFloat("Alpha", &edit_.alpha, 0.0f, 1.0f, "%.2f");
  if (ImGui::IsItemDeactivatedAfterEdit()) rebuild(false);
  tooltip("Linear mix: the target gradient where B lies is alpha grad A + (1 - alpha) grad B.\n"
          "1 keeps A, 0 takes B's gradients. Applied when the slider is released.");
  int rule = int(edit_.rule);
  if (ImGui::Combo("Rule", &rule, kRules, 3)) {
    edit_.rule = BlendRule(rule);
    rebuild(false);
  }
  tooltip("Where B lies (inside the mask if there is one): linear mix (alpha), clone (B's gradients:\n"
          "seamless cloning) or mixed (per pixel the stronger of A's and B's gradients, Perez et al.).");
  float scale = float(edit_.scale);
  if (ImGui::SliderFloat("B size", &scale, 0.1f, 1.0f, "%.2f of A")) {
    edit_.scale = scale;
    edit_.placement = rescaled(edit_.placement, edit_.scale, size, size);
  }
  if (ImGui::IsItemDeactivatedAfterEdit()) rebuild(false);
  tooltip("B's side as a fraction of A's, about B's centre. Applied when the slider is released.");
  int tool = int(tool_);
  ImGui::RadioButton("Move", &tool, int(Tool::Move));
  tooltip("Drag in view A to move B.");
  ImGui::SameLine();
  ImGui::RadioButton("Rectangle", &tool, int(Tool::Rectangle));
  tooltip("Drag in view A to draw a rectangular mask: B blends only inside it.");
  ImGui::SameLine();
  ImGui::RadioButton("Brush", &tool, int(Tool::Brush));
  tooltip("Paint the mask in view A.");
  ImGui::SameLine();
  ImGui::RadioButton("Erase", &tool, int(Tool::Erase));
  tooltip("Erase from the mask in view A.");
  tool_ = Tool(tool);
  ImGui::SliderFloat("Brush radius", &brush_radius_, 1.0f, 32.0f, "%.0f px");
  tooltip("Radius of the brush and the eraser, in pixels of A at its training size.");
  ImGui::BeginDisabled(edit_.mask.empty());
  if (ImGui::Button("Clear mask")) {
    edit_.mask.clear();
    rebuild(false);
  }
  tooltip("Remove the mask: B blends over all of its rectangle.");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("B at row %d, col %d, %d px", edit_.placement.row, edit_.placement.col, edit_.placement.side);
}

void BlendMode::draw_training_section() {
  section("Training");
  SessionControls::Text text;
  text.empty = "Open two images.";
  text.loss_help = "Mean squared difference between the network's gradient and the target gradient.";
  text.reset_label = "Fresh weights";
  text.reset_help = "Start again from freshly initialised weights (R). Edits keep the current weights instead.";
  controls_.draw(session_, loading(), text,
                 {[this] { toggle_training(); }, [this] { single_step(); }, [this] { reset(); }});
  if (!session_) return;
  const double psnr = evaluated_.last("psnr_db"), gpsnr = evaluated_.last("gradient_psnr_db");
  if (std::isfinite(psnr)) ImGui::Text("PSNR vs pasted %.2f dB, gradient %.2f dB", psnr, gpsnr);
  else ImGui::TextDisabled("PSNR -");
  tooltip("Of the composite against B pasted naively (differs where blending removes seams), and of\n"
          "the network's gradient against the target gradient.");
  ImGui::TextDisabled("%s, %d px", session_->settings().network.describe().c_str(), settings_.image_size);
}

void BlendMode::draw_output_section() {
  section("Model and exports");
  ImGui::SetNextItemWidth(-60.0f);
  ImGui::InputText("##model", &model_path_);
  tooltip("Model file (.safetensors, loadable by PyTorch with the reference's tensor names).");
  ImGui::SameLine();
  if (ImGui::Button("Save")) save_model();
  tooltip("Save the current weights and network settings.");
  ImGui::SetNextItemWidth(90.0f);
  ImGui::InputInt("##size", &export_size_, 128, 512);
  export_size_ = std::clamp(export_size_, 2, 4096);
  tooltip("Export resolution in pixels per side (2..4096): the network is evaluated at any resolution.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-60.0f);
  ImGui::InputText("##export", &export_path_);
  tooltip("PNG file for the composite.");
  ImGui::SameLine();
  if (ImGui::Button("Export")) export_composite();
  tooltip("Evaluate the current weights at this resolution and write the composite (in the background).");
}

void BlendMode::save_model() {
  if (!session_ || !task_) return context_.notices.error("Nothing to save yet: no network is training.");
  const WeightsSnapshot snap = session_->snapshot();
  if (!snap.params) return context_.notices.error("Nothing to save yet: the network has no weights.");
  io::Model model{snap.config, *snap.params, task_->model_info()};
  auto inbox = inbox_;
  context_.background.post([inbox, path = model_path_, model = std::move(model), step = snap.step] {
    Notice n;
    try {
      io::save_model(path, model);
      n = {NoticeLevel::Info, "Saved the blend model at step " + std::to_string(step) + " to " + path, 0};
    } catch (const std::exception& e) {
      n = {NoticeLevel::Error, "Could not save the model: " + std::string(e.what()), 0};
    }
    std::lock_guard<std::mutex> lock(inbox->mu);
    inbox->notices.push_back(std::move(n));
  });
}

void BlendMode::export_composite() {
  if (!session_ || !task_) return context_.notices.error("Nothing to export yet: no network is training.");
  const WeightsSnapshot snap = session_->snapshot();
  if (!snap.params) return context_.notices.error("Nothing to export yet: the network has no weights.");
  auto session = session_;
  auto task = task_;
  auto inbox = inbox_;
  const int size = export_size_;
  context_.notices.info("Exporting " + export_path_ + " (" + std::to_string(size) + "x" + std::to_string(size) + ")...");
  context_.background.post([inbox, session, task, snap, size, path = export_path_] {
    Notice n;
    try {
      // The constant the gradient cannot see is found on the training grid (against the naive
      // composite) and carried over to the export grid: the same image at any resolution.
      const io::Image& naive = task->naive_composite();
      const int c = naive.channels;
      const std::vector<float> grid = pixel_grid(naive.height, naive.width);
      const FieldJets train = session->evaluate(snap, grid.data(), size_t(naive.height) * naive.width, JetMode::Value);
      std::map<std::string, double> unused;
      FieldJets aligned = train;
      composite_alignment(task)(aligned, unused);
      std::vector<double> offset(size_t(c), 0.0);
      for (size_t i = 0; i < train.value.size(); ++i) offset[i % size_t(c)] += aligned.value[i] - train.value[i];
      for (double& o : offset) o /= double(train.value.size() / size_t(c));
      const std::vector<float> coords = pixel_grid(size, size);
      const FieldJets out = session->evaluate(snap, coords.data(), size_t(size) * size, JetMode::Value);
      io::Image img;
      img.width = img.height = size;
      img.channels = c;
      img.pixels.resize(out.value.size());
      for (size_t i = 0; i < out.value.size(); ++i)
        img.pixels[i] = std::clamp(float((out.value[i] + offset[i % size_t(c)]) * 0.5 + 0.5), 0.0f, 1.0f);
      io::save_png(path, size, size, c, io::to_rgb8(img));
      n = {NoticeLevel::Info, "Exported the composite to " + path + " from the weights at step " + std::to_string(snap.step) + ".", 0};
    } catch (const std::exception& e) {
      n = {NoticeLevel::Error, "Could not export " + path + ": " + e.what(), 0};
    }
    std::lock_guard<std::mutex> lock(inbox->mu);
    inbox->notices.push_back(std::move(n));
  });
}

void BlendMode::draw_sidebar() {
  draw_image_section();
  draw_edit_section();
  draw_training_section();
  draw_output_section();
}

void BlendMode::draw_a_view(float side) {
  const int h = settings_.image_size, w = settings_.image_size;
  const ViewRect home = image_rect(h, w);
  ViewRect shown = home;  // A's view does not zoom: its drags edit the blend
  FieldLayer l;
  l.texture = &a_tex_.value;
  l.covers = a_tex_.rect;
  l.nearest = true;
  a_view_.draw(*context_.renderer, l, shown, home, side);
  const ViewPlacement& at = a_view_.placement();
  const ImVec2 mn = at.min, mx = at.max;
  const float sx = (mx.x - mn.x) / float(w), sy = (mx.y - mn.y) / float(h);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  // The mask as translucent runs of pixels, B's rectangle as an outline.
  if (edit_.mask.size() == size_t(h) * size_t(w)) {
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w;) {
        if (!(edit_.mask[size_t(r) * size_t(w) + size_t(c)] > 0.5f)) {
          ++c;
          continue;
        }
        int e = c;
        while (e < w && edit_.mask[size_t(r) * size_t(w) + size_t(e)] > 0.5f) ++e;
        dl->AddRectFilled(ImVec2(mn.x + c * sx, mn.y + r * sy), ImVec2(mn.x + e * sx, mn.y + (r + 1) * sy),
                          IM_COL32(90, 200, 255, 70));
        c = e;
      }
  }
  const BlendPlacement& p = edit_.placement;
  dl->AddRect(ImVec2(mn.x + p.col * sx, mn.y + p.row * sy), ImVec2(mn.x + (p.col + p.side) * sx, mn.y + (p.row + p.side) * sy),
              IM_COL32(255, 210, 80, 255), 0.0f, 0, 2.0f);

  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const double row = (mouse.y - mn.y) / sy, col = (mouse.x - mn.x) / sx;
  const bool hovered = ImGui::IsMouseHoveringRect(mn, mx);
  if (hovered && ImGui::IsMouseClicked(0)) {
    dragging_ = true;
    edited_while_dragging_ = false;
    drag_start_ = p;
    drag_from_[0] = rect_from_[0] = row;
    drag_from_[1] = rect_from_[1] = col;
  }
  if (!dragging_) return;
  if (ImGui::IsMouseDown(0)) {
    switch (tool_) {
      case Tool::Move: {
        const BlendPlacement next = dragged(drag_start_, row - drag_from_[0], col - drag_from_[1], h, w);
        edited_while_dragging_ |= next != edit_.placement;
        edit_.placement = next;
        break;
      }
      case Tool::Rectangle: {
        const float r0 = float(std::min(rect_from_[0], row)), r1 = float(std::max(rect_from_[0], row));
        const float c0 = float(std::min(rect_from_[1], col)), c1 = float(std::max(rect_from_[1], col));
        dl->AddRect(ImVec2(mn.x + c0 * sx, mn.y + r0 * sy), ImVec2(mn.x + c1 * sx, mn.y + r1 * sy),
                    IM_COL32(90, 200, 255, 255), 0.0f, 0, 1.5f);
        break;
      }
      case Tool::Brush:
      case Tool::Erase:
        edited_while_dragging_ |= paint_disc(edit_.mask, h, w, row, col, brush_radius_, tool_ == Tool::Brush) > 0;
        break;
    }
    return;
  }
  // Released: the edit takes effect.
  dragging_ = false;
  if (tool_ == Tool::Rectangle) {
    const auto r = rect_between(rect_from_[0], rect_from_[1], row, col, h, w);
    if (!r) {
      context_.notices.warning("The mask rectangle lies outside image A; the mask is unchanged.");
      return;
    }
    edit_.mask = rect_mask(h, w, *r);
    edited_while_dragging_ = true;
  }
  if (!edited_while_dragging_) return;
  if (!edit_.mask.empty() && masked_pixels_in(edit_.mask, h, w, edit_.placement) == 0)
    context_.notices.warning("The mask does not cover any of B: the blend shows A alone. Move B or redraw the mask.");
  rebuild(false);
}

void BlendMode::draw_main() {
  if (!context_.renderer) return;
  if (!session_ || !task_) {
    ImGui::TextDisabled(loading() ? "Loading the images..." : "Open two images (see Images, left).");
    return;
  }
  auto naive = std::shared_ptr<const io::Image>(task_, &task_->naive_composite());
  fields_.update(session_, naive, std::nullopt, 0);
  if (const FieldImages* f = fields_.value_images(); f && f != seen_values_) {
    seen_values_ = f;
    evaluated_.add(f->generation, f->step, f->metrics);
  }
  if (const FieldImages* f = fields_.derivative_images()) evaluated_.add(f->generation, f->step, f->metrics);
  history_.update(*session_);

  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float extra = 3.0f * ImGui::GetTextLineHeightWithSpacing() + 8.0f;
  const float side = std::floor(std::max(
      32.0f, std::min((avail.x - 3 * style.ItemSpacing.x) / 4.0f, (avail.y - 2 * extra - 2 * style.ItemSpacing.y) / 2.0f)));
  const int h = naive->height, w = naive->width;
  const ViewRect home = image_rect(h, w);
  auto value_layer = [](const FieldTextures& t) {
    FieldLayer l;
    l.texture = &t.value;
    l.covers = t.rect;
    return l;
  };
  auto magnitude_layer = [](const FieldTextures& t, float hi) {
    FieldLayer l;
    l.texture = &t.gradient;
    l.covers = t.rect;
    l.source = FieldSource::Magnitude;
    l.map = ColorMap::Sequential;
    l.hi = hi;
    return l;
  };
  draw_a_view(side);
  ImGui::SameLine();
  {
    ViewRect b_home = b_tex_.rect, b_shown = b_home;
    FieldLayer l = value_layer(b_tex_);
    l.nearest = true;
    b_view_.draw(*context_.renderer, l, b_shown, b_home, side);
  }
  ImGui::SameLine();
  ViewRect shown = home;
  composite_view_.draw(*context_.renderer, value_layer(fields_.base()), shown, home, side);
  ImGui::SameLine();
  ImGui::BeginChild("plots", ImVec2(side, side + extra), false, ImGuiWindowFlags_NoScrollbar);
  const float plot_h = (side + extra - style.ItemSpacing.y) * 0.5f;
  draw_loss_plot(history_, plot_h);
  PlotOptions psnr;
  psnr.title = "PSNR (dB)";
  psnr.tooltip = "Composite against B pasted naively, and the network's gradient against the target.";
  psnr.height = plot_h;
  line_plot("blend_psnr", psnr,
            {{"pasted", IM_COL32(90, 200, 255, 255), &evaluated_.steps("psnr_db"), &evaluated_.values("psnr_db")},
             {"grad", IM_COL32(255, 170, 60, 255), &evaluated_.steps("gradient_psnr_db"),
              &evaluated_.values("gradient_psnr_db")}});
  ImGui::EndChild();
  shown = home;
  FieldLayer naive_layer = value_layer(target_tex_);
  naive_layer.nearest = true;
  naive_view_.draw(*context_.renderer, naive_layer, shown, home, side);
  ImGui::SameLine();
  shown = home;
  target_view_.draw(*context_.renderer, magnitude_layer(target_tex_, target_tex_.ranges.magnitude), shown, home, side);
  ImGui::SameLine();
  shown = home;
  gradient_view_.draw(*context_.renderer, magnitude_layer(fields_.base(), target_tex_.ranges.magnitude), shown, home, side);
}

std::vector<ViewPlacement> BlendMode::placements() const {
  return {a_view_.placement(),     b_view_.placement(),      composite_view_.placement(),
          naive_view_.placement(), target_view_.placement(), gradient_view_.placement()};
}

bool BlendMode::views_show(uint64_t step, uint64_t generation) const {
  return !context_.renderer || fields_.shows(step, generation);
}

std::pair<uint64_t, uint64_t> BlendMode::view_refreshes() const {
  const NetworkFields::Counts c = fields_.counts();
  return {c.values, c.derivatives};
}

std::string BlendMode::layout_json() const {
  nlohmann::json j;
  j["image"] = paths_[0];
  j["image_b"] = originals_[1] && paths_[1].empty() ? "(generated)" : paths_[1];
  j["blend"] = {{"alpha", edit_.alpha},
                {"rule", to_string(edit_.rule)},
                {"row", edit_.placement.row},
                {"col", edit_.placement.col},
                {"side", edit_.placement.side},
                {"masked_pixels", masked_pixels_in(edit_.mask, settings_.image_size, settings_.image_size, edit_.placement)}};
  for (const char* k : {"psnr_db", "gradient_psnr_db"})
    if (std::isfinite(evaluated_.last(k))) j["blend"][k] = evaluated_.last(k);
  j["settings"] = {{"image_size", settings_.image_size},
                   {"hidden_features", settings_.session.network.hidden_features},
                   {"hidden_layers", settings_.session.network.hidden_layers},
                   {"lr", settings_.session.adam.lr}};
  return j.dump();
}

}  // namespace siren::studio
