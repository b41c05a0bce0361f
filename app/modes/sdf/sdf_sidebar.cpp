#include "app/modes/sdf/sdf_sidebar.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "app/assets.h"
#include "app/defaults.h"
#include "app/panels/backend_controls.h"
#include "app/recent_files.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {
void copy_path(char* dst, size_t n, const std::string& s) {
  std::strncpy(dst, s.c_str(), n - 1);
  dst[n - 1] = '\0';
}
constexpr int kMeshResolutions[] = {64, 128, 256, 384, 512};
constexpr int kVolumeResolutions[] = {32, 48, 64, 96, 128};
constexpr size_t kPointChoices[] = {1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000};
}  // namespace

SdfSidebar::SdfSidebar(SdfRun& run, RecentFiles& recent, SdfViews& views, SdfViewOptions& options,
                       std::function<void(const std::string&)> screenshot)
    : run_(run), recent_(recent), views_(views), options_(options), screenshot_(std::move(screenshot)) {}

void SdfSidebar::toggle() {
  if (auto s = run_.session()) {
    if (s->status().state == SessionState::Running) s->pause();
    else s->start();
  }
}

void SdfSidebar::single_step() {
  if (auto s = run_.session()) s->step(1);
}

void SdfSidebar::reset() {
  if (auto s = run_.session()) {
    s->reset();
    run_.report(NoticeLevel::Info, "Training restarted from fresh weights (same settings).");
  }
}

void SdfSidebar::draw() {
  draw_shape();
  draw_training();
  draw_settings();
  draw_view();
  draw_outputs();
}

void SdfSidebar::draw_shape() {
  section("Shape");
  if (path_[0] == '\0' && !run_.path().empty()) copy_path(path_, sizeof path_, run_.path());
  if (focus_path_) {
    ImGui::SetKeyboardFocusHere();
    focus_path_ = false;
  }
  const bool enter = ImGui::InputText("##sdf_path", path_, sizeof path_, ImGuiInputTextFlags_EnterReturnsTrue);
  tooltip("Point cloud with normals (.xyz: x y z nx ny nz; .ply with nx ny nz) or a mesh (.ply with faces,\n"
          ".obj, .off; sampled by area). Enter or Open to train on it; you can also drop a file on the window.");
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && path_[0]) run_.open(path_);
  tooltip("Train a new network on the file in the path field (Ctrl+O jumps to the field).");
  if (ImGui::BeginCombo("Recent", "", ImGuiComboFlags_NoPreview)) {
    for (const std::string& p : recent_.paths())
      if (ImGui::Selectable(p.c_str())) {
        copy_path(path_, sizeof path_, p);
        run_.open(p);
      }
    ImGui::EndCombo();
  }
  tooltip("Files opened before, newest first.");
  ImGui::SameLine();
  if (ImGui::Button("Bundled")) {
    copy_path(path_, sizeof path_, bundled_shape_path());
    run_.open(path_);
  }
  tooltip("The bundled shape (assets/shape.ply: 20,000 oriented points on a ringed box with a dimple).");
  if (run_.loading()) ImGui::TextDisabled("Loading...");
  else if (auto task = run_.task())
    ImGui::TextDisabled("%zu points", task->point_count());
}

void SdfSidebar::draw_training() {
  section("Training");
  SessionControls::Text text;
  text.loading = "Loading the shape...";
  text.empty = "No shape open.";
  text.loss_help =
      "The last step's SDF loss (3e3 |phi| on the surface + 1e2 exp(-100|phi|) off it + 1e2 (1 - cos) of\n"
      "the normals + 5e1 | |grad phi| - 1 |), on that step's random points.";
  controls_.draw(run_.session(), run_.loading(), text,
                 {[this] { toggle(); }, [this] { single_step(); }, [this] { reset(); }});
}

void SdfSidebar::draw_settings() {
  section("Network");
  if (!dirty_) pending_ = run_.settings();
  SdfSettings before = pending_;
  NetworkConfig& net = pending_.session.network;
  ImGui::SliderInt("Width", &net.hidden_features, 8, 512, "%d", ImGuiSliderFlags_Logarithmic);
  tooltip("Hidden features per layer (the reference: 256).");
  ImGui::SliderInt("Hidden layers", &net.hidden_layers, 1, 8);
  tooltip("The reference's hidden_layers: N + 1 sine layers, then a linear output layer (the reference: 3).");
  ImGui::SliderFloat("w0", &net.omega0, 1.0f, 100.0f, "%.1f", ImGuiSliderFlags_Logarithmic);
  tooltip("Frequency of the hidden sine layers, sin(w0 (W x + b)); the paper uses 30.");
  ImGui::SliderFloat("First-layer w0", &net.first_omega0, 1.0f, 100.0f, "%.1f", ImGuiSliderFlags_Logarithmic);
  tooltip("Frequency of the first sine layer: higher shows finer detail sooner, and more noise off the surface.");
  float lr = pending_.session.adam.lr;
  if (ImGui::SliderFloat("Learning rate", &lr, 1e-6f, 1e-2f, "%.1e", ImGuiSliderFlags_Logarithmic))
    pending_.session.adam.lr = lr;
  tooltip("Adam's learning rate (the reference: 1e-4; gradients are clipped at norm 1).");
  char points[32];
  std::snprintf(points, sizeof points, "%zu", pending_.session.batch);
  if (ImGui::BeginCombo("Points per step", points)) {
    for (size_t p : kPointChoices)
      if (ImGui::Selectable(std::to_string(p).c_str(), p == pending_.session.batch)) pending_.session.batch = p;
    ImGui::EndCombo();
  }
  tooltip("On-surface points per step, drawn at random from the cloud, and as many uniform points in the cube\n"
          "(the reference: 100,000 on a GPU; fewer on the CPU, where a step costs time in proportion).");
  if (const std::optional<BackendKind> next = backend_controls(pending_.session)) pending_.session.backend = *next;
  int seed = int(pending_.session.seed);
  if (ImGui::InputInt("Seed", &seed)) pending_.session.seed = uint64_t(std::max(seed, 0));
  tooltip("Seed of the initial weights and of the random points.");
  if (describe_sdf_run_change(before, pending_) != "") dirty_ = true;
  const bool changed = dirty_ && !describe_sdf_run_change(run_.settings(), pending_).empty();
  const PendingAction action = apply_revert_buttons(changed);
  if (action == PendingAction::Apply) run_.apply(pending_);
  if (action != PendingAction::None) dirty_ = false;
  ImGui::SameLine();
  if (ImGui::Button("Defaults")) {
    const bool gpu = backend_is_gpu(pending_.session.backend);
    pending_.session = default_sdf_settings(gpu).session;
    dirty_ = true;
  }
  tooltip("The defaults for this backend: a small network on the CPU (width 64, 5,000 points), the\n"
          "reference's on a GPU (256 x 3, 100,000 points). Apply to use them.");
}

void SdfSidebar::draw_view() {
  section("View");
  SdfLook& look = options_.look;
  int shading = int(look.shading);
  if (ImGui::Combo("Shading", &shading, "Normals\0Lit material\0Slice (signed distance)\0")) look.shading = SdfShading(shading);
  tooltip("Normals: the surface coloured by its normal (x, y, z as r, g, b). Lit material: a light over your\n"
          "right shoulder, with soft shadows and ambient occlusion. Slice: a plane through the volume coloured by\n"
          "the signed distance (blue outside, red inside) with iso-contours every 0.05 and the zero set dark.");
  if (look.shading == SdfShading::Lit) {
    ImGui::Checkbox("Soft shadows", &look.shadows);
    tooltip("Shadows cast by the surface itself, softened by how near the shadow rays pass (costs a second march).");
    ImGui::SameLine();
    ImGui::Checkbox("Ambient occlusion", &look.occlusion);
    tooltip("Darkens creases and cavities, from five samples of the field along the normal.");
  }
  if (look.shading == SdfShading::Slice) {
    ImGui::Combo("Plane normal", &look.slice_axis, "x\0y\0z\0");
    tooltip("The axis the slice plane is perpendicular to.");
    ImGui::SliderFloat("Plane offset", &look.slice_offset, -1.0f, 1.0f, "%.3f");
    tooltip("Where the plane cuts the cube along its normal; you can also drag the plane in the view.");
    ImGui::SliderFloat("Colour range", &look.slice_range, 0.05f, 2.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
    tooltip("The signed distance shown at the ends of the colour map.");
  }
  int vi = 0;
  for (int i = 0; i < int(std::size(kVolumeResolutions)); ++i)
    if (kVolumeResolutions[i] == options_.volume_resolution) vi = i;
  if (ImGui::Combo("Volume", &vi, "32^3\00048^3\00064^3\00096^3\000128^3\0")) options_.volume_resolution = kVolumeResolutions[vi];
  tooltip("Samples per side of the grid the ray-marched view is traced in, refreshed from the latest weights;\n"
          "finer shows more detail and takes longer per refresh (n^3 network evaluations).");
  int rs = options_.render_scale >= 1.0f ? 0 : options_.render_scale >= 0.75f ? 1 : 2;
  if (ImGui::Combo("Render scale", &rs, "full\0" "3/4\0" "1/2\0")) options_.render_scale = rs == 0 ? 1.0f : rs == 1 ? 0.75f : 0.5f;
  tooltip("Pixels the ray-marched view traces per screen pixel: lower draws faster on a software renderer\n"
          "(1/2 is the default where OpenGL is one, such as Mesa llvmpipe).");
  ImGui::Checkbox("Precise view", &options_.precise);
  tooltip("Beside the ray-marched view: the network itself sphere-traced on the backend, coarse to fine, with\n"
          "normals from its exact gradient (no grid, no interpolation).");
  if (options_.precise) {
    ImGui::SameLine();
    int ps = options_.precise_scale >= 1.0f ? 0 : options_.precise_scale >= 0.5f ? 1 : 2;
    ImGui::SetNextItemWidth(80);
    if (ImGui::Combo("##precise_scale", &ps, "full\0" "1/2\0" "1/4\0")) options_.precise_scale = ps == 0 ? 1.0f : ps == 1 ? 0.5f : 0.25f;
    tooltip("Resolution of the precise view: each halving is four times fewer rays (and network evaluations).");
    ImGui::SameLine();
    ImGui::Checkbox("Follow", &options_.precise_follows);
    tooltip("Trace the newest weights again and again while training runs (slows training on the CPU).\n"
            "Off: the precise view shows the weights of when training paused or the camera last moved.");
  }
  if (ImGui::Button("Reset camera")) views_.reset_camera();
  tooltip("Back to the whole cube from the front right (also: double-click a view).");
}

void SdfSidebar::draw_outputs() {
  section("Outputs");
  ImGui::InputText("Mesh file", mesh_path_, sizeof mesh_path_);
  tooltip("Where the mesh goes: .ply (binary) or .obj, by the extension; in the input file's units.");
  int mi = 2;
  for (int i = 0; i < int(std::size(kMeshResolutions)); ++i)
    if (kMeshResolutions[i] == mesh_resolution_) mi = i;
  if (ImGui::Combo("Resolution", &mi, "64^3\000128^3\000256^3\000384^3\000512^3\0")) mesh_resolution_ = kMeshResolutions[mi];
  tooltip("Marching-cubes grid points per side. Evaluated slab by slab, so memory stays small even at 512^3;\n"
          "time grows with its cube (512^3 is 134 million network evaluations).");
  ImGui::BeginDisabled(run_.exporting() || !run_.session());
  if (ImGui::Button("Export mesh")) run_.export_mesh(mesh_path_, mesh_resolution_);
  tooltip("Extract the zero level set of the weights on screen by marching cubes, in the background.");
  ImGui::EndDisabled();
  if (run_.exporting()) {
    ImGui::SameLine();
    ImGui::ProgressBar(float(run_.export_progress()), ImVec2(-1, 0));
    tooltip("Share of the grid evaluated so far.");
  }
  ImGui::InputText("Model file", model_path_, sizeof model_path_);
  tooltip("Where Save model writes the weights (.safetensors, loadable by PyTorch and by `siren mesh`).");
  if (ImGui::Button("Save model")) run_.save_model(model_path_);
  tooltip("Save the current weights with the shape's normalisation (Ctrl+S).");
  ImGui::SameLine();
  if (ImGui::Button("Load model")) run_.load_model(model_path_);
  tooltip("Continue training from the weights in the model file (a .safetensors dropped on the window loads too).");
  ImGui::InputText("Screenshot", screenshot_path_, sizeof screenshot_path_);
  tooltip("Where the window's screenshot goes (PNG).");
  if (ImGui::Button("Screenshot") && screenshot_) screenshot_(screenshot_path_);
  tooltip("Save the whole window as PNG (F12).");
}

}  // namespace siren::studio
