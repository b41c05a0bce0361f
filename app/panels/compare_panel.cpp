#include "app/panels/compare_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/panels/line_plot.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {
constexpr int kCompareKeyBase = 10;  // worker keys 20..27
const Activation kChoices[] = {Activation::Sine, Activation::Relu,     Activation::ReluPE,
                               Activation::Tanh, Activation::Softplus, Activation::Elu, Activation::Selu};
const ImU32 kColors[4] = {IM_COL32(90, 200, 255, 255), IM_COL32(255, 170, 60, 255), IM_COL32(120, 220, 120, 255),
                          IM_COL32(230, 110, 200, 255)};
}  // namespace

struct ComparePanel::RunView {
  RunView(JobThread& worker, int i)
      : fields(worker, kCompareKeyBase + i),
        fit("compare_fit_" + std::to_string(i), "Fit", "This network's output."),
        lap("compare_lap_" + std::to_string(i), "Laplacian", "This network's exact Laplacian, on the image's scale.") {}
  NetworkFields fields;
  MetricHistory history;
  MetricSeries evaluated;  // figures of the view evaluations, where the task has no per-step PSNR
  const FieldImages* seen = nullptr;
  FieldView fit, lap;
  std::string name;
  SessionStatus status;
  double status_refreshed = -1e9;
};

ComparePanel::ComparePanel(FieldRenderer& renderer, JobThread& worker, Experiment& experiment)
    : renderer_(renderer), worker_(worker), experiment_(experiment), activation_{0, 1, 2, 3} {}

ComparePanel::~ComparePanel() = default;

void ComparePanel::draw_controls() {
  const bool running = experiment_.comparing();
  ImGui::BeginDisabled(running);
  for (int i = 0; i < 4; ++i) {
    ImGui::PushID(i);
    ImGui::Checkbox("##on", &enabled_[i]);
    tooltip("Include this network in the comparison.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110.0f);
    if (ImGui::BeginCombo("##act", to_string(kChoices[activation_[i]]))) {
      for (int k = 0; k < int(std::size(kChoices)); ++k)
        if (ImGui::Selectable(to_string(kChoices[k]), k == activation_[i])) activation_[i] = k;
      ImGui::EndCombo();
    }
    tooltip("Activation of this network; width, depth, learning rate and batch are the main run's.");
    ImGui::PopID();
    if (i < 3) ImGui::SameLine();
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (!running) {
    if (ImGui::Button("Train side by side")) {
      std::vector<Activation> acts;
      for (int i = 0; i < 4; ++i)
        if (enabled_[i]) acts.push_back(kChoices[activation_[i]]);
      experiment_.start_compare(acts);
    }
    tooltip("Train the chosen networks at once on the current image, from fresh weights.\n"
            "The main run pauses so that they get the CPU.");
  } else {
    if (ImGui::Button("Stop comparison")) experiment_.stop_compare();
    tooltip("End the comparison runs.");
  }
}

void ComparePanel::draw() {
  draw_controls();
  const auto truth = experiment_.truth();
  const auto image = experiment_.image();
  const auto& runs = experiment_.compare_runs();
  if (!truth || !image) return;
  if (truth.get() != truth_seen_) {
    truth_seen_ = truth.get();
    home_ = image_rect(truth->rows, truth->cols);
    shown_ = home_;
  }
  if (runs.empty()) {
    ImGui::TextDisabled(experiment_.comparing() ? "Starting the networks..."
                                                : "Pick up to four activations and press Train side by side.");
    return;
  }
  while (runs_.size() < runs.size()) runs_.push_back(std::make_unique<RunView>(worker_, int(runs_.size())));

  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float plot_h = std::max(140.0f, avail.y * 0.25f);
  const float extra = 4.0f * ImGui::GetTextLineHeightWithSpacing() + 8.0f;
  const int n = int(runs.size());
  const float side = std::floor(std::max(32.0f, std::min((avail.x - (n - 1) * style.ItemSpacing.x) / float(n),
                                                         (avail.y - plot_h - 2 * extra - 2 * style.ItemSpacing.y) / 2.0f)));
  const bool zoomed = shown_ != home_;
  const float px_scale = ImGui::GetIO().DisplayFramebufferScale.x;

  std::vector<PlotSeries> series;
  for (int i = 0; i < n; ++i) {
    RunView& v = *runs_[size_t(i)];
    const bool aligned = bool(experiment_.align());
    v.fields.set_align(experiment_.align());
    // Aligned values exist on the training grid only: zoomed in, their texture is magnified.
    v.fields.update(runs[size_t(i)].session, image,
                    zoomed && !aligned ? std::optional<ViewRect>(shown_) : std::nullopt, int(side * px_scale));
    v.history.update(*runs[size_t(i)].session);
    if (const FieldImages* f = v.fields.value_images(); f && f != v.seen) {
      v.seen = f;
      v.evaluated.add(f->generation, f->step, f->metrics);
    }
    v.name = to_string(runs[size_t(i)].activation);
    if (aligned) series.push_back({v.name.c_str(), kColors[i % 4], &v.evaluated.steps("psnr_db"), &v.evaluated.values("psnr_db")});
    else series.push_back({v.name.c_str(), kColors[i % 4], &v.history.steps(), &v.history.psnr()});
  }
  // Row 1: fits; row 2: Laplacians on the image's Laplacian scale, so the baselines' (near) zero
  // Laplacians show as what they are.
  for (int row = 0; row < 2; ++row) {
    for (int i = 0; i < n; ++i) {
      RunView& v = *runs_[size_t(i)];
      const FieldTextures* t = v.fields.zoom() ? v.fields.zoom() : &v.fields.base();
      FieldLayer l;
      l.covers = t->rect;
      if (row == 0) {
        l.texture = &t->value;
        if (due(v.status_refreshed, kLiveRefreshSeconds)) v.status = runs[size_t(i)].session->status();
        SessionStatus st = v.status;
        if (!st.psnr_db && std::isfinite(v.evaluated.last("psnr_db"))) st.psnr_db = v.evaluated.last("psnr_db");
        char label[96];
        if (st.psnr_db) std::snprintf(label, sizeof label, "%s  %.1f dB, step %llu", v.name.c_str(), *st.psnr_db,
                                      static_cast<unsigned long long>(st.step));
        else std::snprintf(label, sizeof label, "%s", v.name.c_str());
        v.fit.set_label(label);
        v.fit.draw(renderer_, l, shown_, home_, side);
      } else {
        l.texture = &t->laplacian;
        l.source = FieldSource::Scalar;
        l.map = ColorMap::Diverging;
        l.lo = -truth->ranges.laplacian;
        l.hi = truth->ranges.laplacian;
        v.lap.set_label(v.name + " Laplacian");
        v.lap.draw(renderer_, l, shown_, home_, side);
      }
      if (i < n - 1) ImGui::SameLine();
    }
  }
  PlotOptions opt;
  opt.title = "PSNR (dB) of each network";
  opt.tooltip = "PSNR over steps of every network in the comparison.";
  opt.height = std::max(100.0f, ImGui::GetContentRegionAvail().y - 4.0f);
  line_plot("compare_psnr", opt, series);
}

}  // namespace siren::studio
