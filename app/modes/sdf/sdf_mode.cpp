#include "app/modes/sdf/sdf_mode.h"

#include <imgui.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "app/assets.h"
#include "app/defaults.h"
#include "app/gl/gl.h"
#include "app/recent_files.h"
#include "app/studio_options.h"

namespace siren::studio {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
const char* shading_name(SdfShading s) {
  return s == SdfShading::Normals ? "normals" : s == SdfShading::Lit ? "lit" : "slice";
}
}  // namespace

std::unique_ptr<Mode> make_sdf_mode(ModeContext& context) { return std::make_unique<SdfMode>(context); }

SdfMode::SdfMode(ModeContext& context) : context_(context) {
  if (!context.shader_dir.empty()) {
    try {
      renderer_ = std::make_unique<SdfRenderer>(context.shader_dir);
    } catch (const std::exception& e) {
      renderer_error_ = e.what();
    }
  } else {
    renderer_error_ = "no shaders/ folder was found (set SIREN_SHADER_DIR)";
  }
  if (!renderer_) context.notices.error("The 3-D view cannot be drawn: " + renderer_error_ + ". Training still runs.");

  BackendKind backend = parse_backend_kind(context.options.backend).value_or(BackendKind::Auto);
  SdfSettings settings = default_sdf_settings(backend_is_gpu(backend));
  apply_command_line(settings.session, context.options);
  view_options_.volume_resolution = settings.volume_resolution;
  view_options_.precise_scale = settings.precise_scale;
  view_options_.precise_follows = backend_is_gpu(backend);
  // A software rasteriser (Mesa's llvmpipe, as under Xvfb or in a VM) ray-marches on the same CPU
  // cores that train: a full-resolution pass with shadows cost it 100-150 ms. Half the resolution
  // per side is a quarter of that; a GPU draws the full one for nothing.
  const char* gl_renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  const std::string renderer_name = gl_renderer ? gl_renderer : "";
  for (const char* soft : {"llvmpipe", "softpipe", "SwiftShader"})
    if (renderer_name.find(soft) != std::string::npos) view_options_.render_scale = 0.5f;
  const std::string& tab = context.options.tab;
  if (tab == "normals") view_options_.look.shading = SdfShading::Normals;
  if (tab == "lit") view_options_.look.shading = SdfShading::Lit;
  if (tab == "slice") view_options_.look.shading = SdfShading::Slice;

  for (const std::string& p : context.options.params) {
    const size_t eq = p.find('=');
    const std::string key = p.substr(0, eq), value = eq == std::string::npos ? "" : p.substr(eq + 1);
    if (key == "mesh" && !value.empty()) scripted_mesh_ = value;
    else if (key == "mesh_resolution") scripted_mesh_resolution_ = std::max(8, std::atoi(value.c_str()));
    else context.notices.warning("Unknown setting --param " + p + " for the SDF mode (mesh=PATH, mesh_resolution=N).");
  }

  run_ = std::make_unique<SdfRun>(context.background, context.notices, settings);
  run_->set_fallback(bundled_shape_path());
  run_->set_autostart(!context.automated);
  run_->on_opened([&recent = context.recent](const std::string& p) { recent.add(p); });
  views_ = std::make_unique<SdfViews>(renderer_.get(), context.view_worker);
  sidebar_ = std::make_unique<SdfSidebar>(*run_, context.recent, *views_, view_options_, context.screenshot);
  const std::string& file = context.options.file;
  run_->open(file.empty() || ends_with(file, ".safetensors") ? bundled_shape_path() : file);
  if (ends_with(file, ".safetensors")) run_->load_model(file);
}

SdfMode::~SdfMode() {
  // GL objects go with the views and the renderer, on the UI thread, while the context lives.
  sidebar_.reset();
  views_.reset();
  run_.reset();
  renderer_.reset();
}

void SdfMode::retire() {
  retired_ = true;
  views_->stop();
  run_->release_all();
}

bool SdfMode::scripted_export_due() const {
  if (scripted_mesh_.empty() || run_->loading()) return false;
  const auto session = run_->session();
  if (!session) return false;
  const SessionStatus st = session->status();
  return st.state != SessionState::Running && st.step >= context_.options.steps.value_or(0);
}

void SdfMode::poll() {
  if (retired_) return;
  run_->poll();
  // The scripted export goes through the same path as the button, once the scripted steps are done.
  if (scripted_export_due()) {
    run_->export_mesh(scripted_mesh_, scripted_mesh_resolution_);
    scripted_mesh_.clear();
  }
}

void SdfMode::draw_sidebar() { sidebar_->draw(); }

void SdfMode::draw_main() {
  if (!renderer_) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1.0f));
    ImGui::TextWrapped("The 3-D view cannot be drawn: %s", renderer_error_.c_str());
    ImGui::PopStyleColor();
  }
  SdfSettings s = run_->settings();
  if (s.volume_resolution != view_options_.volume_resolution || s.precise_scale != view_options_.precise_scale) {
    s.volume_resolution = view_options_.volume_resolution;
    s.precise_scale = view_options_.precise_scale;
    run_->apply(s);
  }
  views_->draw(retired_ ? nullptr : run_->session(), view_options_);
}

void SdfMode::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  if (io.KeyCtrl) {
    if (ImGui::IsKeyPressed(GLFW_KEY_O, false)) sidebar_->focus_path();
    if (ImGui::IsKeyPressed(GLFW_KEY_S, false)) run_->save_model("shape_model.safetensors");
    return;
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_C, false)) views_->reset_camera();
  if (ImGui::IsKeyPressed(GLFW_KEY_1, false)) view_options_.look.shading = SdfShading::Normals;
  if (ImGui::IsKeyPressed(GLFW_KEY_2, false)) view_options_.look.shading = SdfShading::Lit;
  if (ImGui::IsKeyPressed(GLFW_KEY_3, false)) view_options_.look.shading = SdfShading::Slice;
}

std::string SdfMode::shortcut_help() const {
  return "Space start/pause  S step  R reset  C camera\n"
         "1-3 shading  Ctrl+O open  Ctrl+S save  F12 shot";
}

void SdfMode::open(const std::string& path) { run_->open(path); }

void SdfMode::drop_files(const std::vector<std::string>& paths) {
  bool opened = false;
  for (const std::string& p : paths) {
    if (ends_with(p, ".safetensors")) {
      run_->load_model(p);
    } else if (!opened) {
      run_->open(p);
      opened = true;
    } else {
      context_.notices.warning("Only one shape is trained at a time; ignored " + p + ".");
    }
  }
}

std::string SdfMode::layout_json() const {
  nlohmann::json j;
  j["shape"] = run_->path();
  const SdfSettings s = run_->settings();
  const NetworkConfig& net = s.session.network;
  j["settings"] = {{"hidden_features", net.hidden_features},
                   {"hidden_layers", net.hidden_layers},
                   {"omega0", net.omega0},
                   {"first_omega0", net.first_omega0},
                   {"lr", s.session.adam.lr},
                   {"points_per_step", s.session.batch},
                   {"parameters", net.num_parameters()}};
  const auto [volumes, precise] = views_->refreshes();
  j["sdf"] = {{"shading", shading_name(view_options_.look.shading)},
              {"volume_resolution", view_options_.volume_resolution},
              {"volume_step", views_->shown_step()},
              {"volume_refreshes", volumes},
              {"precise", view_options_.precise},
              {"precise_scale", view_options_.precise_scale},
              {"precise_frames", precise}};
  if (auto task = run_->task()) j["sdf"]["points"] = task->point_count();
  return j.dump();
}

}  // namespace siren::studio
