#include "app/panels/inspect_panel.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "app/ui_util.h"
#include "app/views/field_math.h"

namespace siren::studio {

namespace {
constexpr int kStatsKey = 100;
constexpr int kGridSide = 48;  // 2304 points: smooth histograms in a few milliseconds per layer
constexpr double kRefreshSeconds = 0.25;
constexpr double kPi = 3.14159265358979323846;


// Bars of a density histogram, with a reference density drawn over it where one applies.
void histogram(const char* title, const Histogram& h, double (*reference)(double), const char* ref_name, ImVec2 size) {
  ImGui::PushID(title);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("hist", size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p1(p0.x + size.x, p0.y + size.y);
  dl->AddRectFilled(p0, p1, ImGui::GetColorU32(ImGuiCol_FrameBg), 3.0f);
  const float top = 16.0f, bottom = 14.0f;
  const ImVec2 a(p0.x + 4, p0.y + top), b(p1.x - 4, p1.y - bottom);
  float peak = 1e-6f;
  for (float d : h.density) peak = std::max(peak, d);
  const double width = double(h.hi) - h.lo;
  if (reference && width > 0)
    for (int i = 0; i <= 64; ++i) peak = std::max(peak, float(reference(h.lo + width * i / 64.0)));
  peak = std::min(peak * 1.05f, 50.0f);
  const size_t n = h.density.size();
  for (size_t i = 0; i < n; ++i) {
    const float x0 = a.x + (b.x - a.x) * float(i) / float(n), x1 = a.x + (b.x - a.x) * float(i + 1) / float(n);
    const float y = b.y - (b.y - a.y) * std::min(h.density[i] / peak, 1.0f);
    dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, b.y), IM_COL32(90, 160, 230, 220));
  }
  if (reference && width > 0) {
    std::vector<ImVec2> pts;
    for (int i = 0; i <= 96; ++i) {
      const double x = h.lo + width * i / 96.0;
      const double d = std::min(double(peak), reference(x));
      pts.emplace_back(a.x + (b.x - a.x) * float(i / 96.0), b.y - (b.y - a.y) * float(d / peak));
    }
    dl->AddPolyline(pts.data(), int(pts.size()), IM_COL32(255, 190, 70, 255), 0, 1.5f);
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s  mean %.2f  std %.2f", title, h.mean, h.stddev);
  dl->AddText(ImVec2(p0.x + 4, p0.y + 1), ImGui::GetColorU32(ImGuiCol_Text), buf);
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  std::snprintf(buf, sizeof buf, "%.3g", double(h.lo));
  dl->AddText(ImVec2(a.x, b.y), dim, buf);
  std::snprintf(buf, sizeof buf, "%.3g", double(h.hi));
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(buf).x, b.y), dim, buf);
  if (hovered)
    ImGui::SetTooltip("%s over a %dx%d grid of the image plane.%s%s", title, kGridSide, kGridSide,
                      reference ? "\nOrange: " : "", reference ? ref_name : "");
  ImGui::PopID();
}

double normal_density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * kPi); }
double arcsine_density(double x) { return std::fabs(x) < 0.999 ? 1.0 / (kPi * std::sqrt(1 - x * x)) : 0.0; }

}  // namespace

InspectPanel::InspectPanel(JobThread& worker, Experiment& experiment)
    : worker_(worker),
      experiment_(experiment),
      coords_(std::make_shared<const std::vector<float>>(
          grid_over(image_rect(kGridSide, kGridSide), kGridSide, kGridSide))) {}

void InspectPanel::request() {
  const auto session = experiment_.session();
  if (!session) return;
  if (session->id() != session_id_) {
    session_id_ = session->id();
    box_ = std::make_shared<Mailbox<Stats>>();
    in_flight_ = false;
    stats_ = Stats{};
  }
  if (auto got = box_->take()) {
    in_flight_ = false;
    stats_ = std::move(*got);
  }
  const WeightsSnapshot snap = session->snapshot();
  const double now = seconds_now();
  if (in_flight_ || !snap.params || (snap.step == step_ && snap.generation == generation_)) return;
  if (snap.generation == generation_ && now - posted_at_ < kRefreshSeconds) return;
  in_flight_ = true;
  posted_at_ = now;
  step_ = snap.step;
  generation_ = snap.generation;
  auto box = box_;
  auto coords = coords_;
  worker_.post_latest(kStatsKey, [snap, box, coords] {
    Stats s;
    s.step = snap.step;
    s.generation = snap.generation;
    s.config = snap.config;
    try {
      s.layers = layer_statistics(snap.config, *snap.params, coords->data(), coords->size() / 2);
    } catch (const std::exception&) {
      s.layers.clear();
    }
    box->put(std::move(s));
  });
}

void InspectPanel::draw_init_switch() {
  RunSettings s = experiment_.settings();
  NetworkConfig& net = s.session.network;
  if (net.activation != Activation::Sine) {
    ImGui::TextDisabled("The main run uses %s with PyTorch's default init; pick sine in Network to compare inits.",
                        to_string(net.activation));
    return;
  }
  int choice = net.init == InitScheme::TorchDefault ? 1 : net.omega0 == 1.0f ? 2 : 0;
  const int before = choice;
  ImGui::RadioButton("SIREN init (paper)", &choice, 0);
  tooltip("W ~ U(-sqrt(6/n)/w0, sqrt(6/n)/w0), first layer U(-1/n, 1/n), w0 = 30: pre-activations stay N(0, 1).");
  ImGui::SameLine();
  ImGui::RadioButton("PyTorch default init (naive)", &choice, 1);
  tooltip("W, b ~ U(-1/sqrt(n), 1/sqrt(n)) with w0 = 30: pre-activations grow with w0 and the network is noise.");
  ImGui::SameLine();
  ImGui::RadioButton("SIREN init with w0 = 1", &choice, 2);
  tooltip("SIREN's init but w0 = 1: the first layer sees only low frequencies and the fit stays blurry.");
  if (choice != before) {
    net.init = choice == 1 ? InitScheme::TorchDefault : InitScheme::Siren;
    net.omega0 = net.first_omega0 = choice == 2 ? 1.0f : 30.0f;
    experiment_.apply(s);
  }
}

void InspectPanel::draw() {
  draw_init_switch();
  request();
  if (stats_.layers.empty()) {
    ImGui::TextDisabled("Computing layer statistics...");
    return;
  }
  const NetworkConfig& cfg = stats_.config;
  const bool sine = cfg.activation == Activation::Sine;
  ImGui::TextDisabled("Step %llu, over a %dx%d grid. Orange: N(0, 1), the paper's law for w0 W x in hidden layers, and",
                      static_cast<unsigned long long>(stats_.step), kGridSide, kGridSide);
  ImGui::TextDisabled("the arcsine density of sin(N(0, 1)-like inputs). The reference keeps PyTorch's default biases,");
  ImGui::TextDisabled("which w0 multiplies too: they widen the pre-activations (std ~ sqrt(1 + w0^2 / (3 n)) at init).");
  ImGui::BeginChild("layers");
  const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
  const float h = std::max(90.0f, std::min(180.0f, ImGui::GetContentRegionAvail().y / float(stats_.layers.size()) - 6.0f));
  for (size_t i = 0; i < stats_.layers.size(); ++i) {
    char pre[64], act[64];
    std::snprintf(pre, sizeof pre, "Layer %zu pre-activation%s", i + 1, sine ? " (w0 z)" : "");
    std::snprintf(act, sizeof act, "Layer %zu activation", i + 1);
    // The first layer sees raw coordinates in [-1, 1]: only hidden layers follow the N(0, 1) argument.
    histogram(pre, stats_.layers[i].pre_activation, sine && i > 0 ? normal_density : nullptr, "N(0, 1)",
              ImVec2(w, h));
    ImGui::SameLine();
    histogram(act, stats_.layers[i].activation, sine ? arcsine_density : nullptr, "arcsine density 1/(pi sqrt(1-x^2))",
              ImVec2(w, h));
  }
  ImGui::EndChild();
}

}  // namespace siren::studio
