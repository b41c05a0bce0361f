#include "app/panels/views_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/panels/line_plot.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {
constexpr int kViewKey = 0;  // worker keys 0 and 1: the main run's fields
}

ViewsPanel::ViewsPanel(FieldRenderer& renderer, JobThread& worker, Experiment& experiment, ViewsConfig config)
    : renderer_(renderer), experiment_(experiment), fields_(worker, kViewKey) {
  views_.emplace_back("ground_truth", "Ground truth", "The image the network learns, at its training resolution.");
  views_.emplace_back("fit", "Fit (network)", "The network's output, evaluated from the latest weights.");
  views_.emplace_back("error", "Error |fit - truth|", "Absolute error per training pixel (mean over channels).");
  views_.emplace_back("grad_mag", "|grad f| network (exact)", "Length of the network's gradient, from its jets.");
  views_.emplace_back("grad_x", "df/dx network (exact)", "Derivative of the network across the columns.");
  views_.emplace_back("grad_y", "df/dy network (exact)", "Derivative of the network down the rows.");
  views_.emplace_back("laplacian", "Laplacian network (exact)", "The network's Laplacian, exact from its jets.");
  views_.emplace_back("truth_grad_mag", "|grad I| image (Sobel)", "Length of the image's gradient from Sobel filters.");
  views_.emplace_back("truth_grad_x", "dI/dx image (Sobel)", "The image's derivative across columns (Sobel).");
  views_.emplace_back("truth_grad_y", "dI/dy image (Sobel)", "The image's derivative down rows (Sobel).");
  views_.emplace_back("truth_laplacian", "Laplacian image (5-point)", "The image's Laplacian from the 5-point stencil.");
  for (int i = 0; i < kCount; ++i)
    views_[size_t(i)].set_probe([this, i](double row, double col) { return probe(Id(i), row, col); });
  configure(config);
}

void ViewsPanel::configure(const ViewsConfig& config) {
  config_ = config;
  views_[Fit].set_label(config.fit_label);
  views_[Fit].set_help(config.fit_help);
  const bool grad = config.supervision == "gradient", lap = config.supervision == "laplacian";
  views_[TruthGradMag].set_label(grad ? "|grad I| supervision (Sobel)" : "|grad I| image (Sobel)");
  views_[TruthGradX].set_label(grad ? "dI/dx supervision (Sobel)" : "dI/dx image (Sobel)");
  views_[TruthGradY].set_label(grad ? "dI/dy supervision (Sobel)" : "dI/dy image (Sobel)");
  views_[TruthLap].set_label(lap ? "Laplacian supervision (5-point)" : "Laplacian image (5-point)");
}

std::string ViewsPanel::probe(Id id, double row, double col) const {
  const bool is_truth = id == Truth || id >= TruthGradMag;
  const FieldImages* f = is_truth ? truth_images_.get() : nullptr;
  if (!is_truth) {
    // The zoomed evaluation where it covers the point, else the training grid's.
    const FieldImages* z = id == Error ? nullptr : fields_.zoom_images();
    const bool in_zoom = z && row >= z->rect.row0 && row < z->rect.row1 && col >= z->rect.col0 && col < z->rect.col1;
    f = in_zoom ? z : id == Fit || id == Error ? fields_.value_images() : fields_.derivative_images();
  }
  if (!f || f->rows == 0) return {};
  const int r = int(std::floor((row - f->rect.row0) / f->rect.height() * f->rows));
  const int c = int(std::floor((col - f->rect.col0) / f->rect.width() * f->cols));
  if (r < 0 || c < 0 || r >= f->rows || c >= f->cols) return {};
  const size_t p = size_t(r) * size_t(f->cols) + size_t(c);
  char buf[96];
  switch (id) {
    case Truth:
    case Fit:
      if (f->channels == 3)
        std::snprintf(buf, sizeof buf, "RGB %.3f %.3f %.3f", f->value[p * 3] * 0.5 + 0.5, f->value[p * 3 + 1] * 0.5 + 0.5,
                      f->value[p * 3 + 2] * 0.5 + 0.5);
      else
        std::snprintf(buf, sizeof buf, "%.3f", f->value[p * size_t(f->channels)] * 0.5 + 0.5);
      break;
    case Error:
      if (f->error.empty()) return {};
      std::snprintf(buf, sizeof buf, "%.4f", double(f->error[p]));
      break;
    case GradMag:
    case TruthGradMag: std::snprintf(buf, sizeof buf, "%.4g", double(f->magnitude[p])); break;
    case GradX:
    case TruthGradX: std::snprintf(buf, sizeof buf, "%.4g", double(f->gradient[p * 2 + 1])); break;
    case GradY:
    case TruthGradY: std::snprintf(buf, sizeof buf, "%.4g", double(f->gradient[p * 2])); break;
    case Lap:
    case TruthLap: std::snprintf(buf, sizeof buf, "%.4g", double(f->laplacian[p])); break;
    case kCount: return {};
  }
  return buf;
}

void ViewsPanel::sync_task() {
  const auto truth = experiment_.truth();
  if (!truth || truth == truth_images_) return;
  truth_images_ = truth;
  truth_.upload(*truth, true, true);
  fields_.set_align(experiment_.align());
  home_ = image_rect(truth->rows, truth->cols);
  shown_ = home_;
}

FieldLayer ViewsPanel::layer(Id id, bool base_only) const {
  FieldLayer l;
  const FieldTextures* net = fields_.zoom() && !base_only ? fields_.zoom() : &fields_.base();
  const FieldTextures& base = fields_.base();
  const FieldRanges& truth_r = truth_.ranges;
  const FieldRanges& net_r = shared_scale_ ? truth_r : net->ranges;
  const bool is_truth = id == Truth || id >= TruthGradMag;
  const FieldTextures& t = is_truth ? truth_ : *net;
  const FieldRanges& r = is_truth ? truth_r : net_r;
  l.covers = t.rect;
  l.nearest = is_truth;  // the image is pixels: show them as such when zoomed in
  switch (id) {
    case Truth:
    case Fit:
      l.texture = &t.value;
      break;
    case Error:
      l.texture = base.has_error ? &base.error : nullptr;
      l.covers = base.rect;
      l.nearest = true;
      l.source = FieldSource::Scalar;
      l.map = ColorMap::Sequential;
      l.hi = base.ranges.error;
      break;
    case GradMag:
    case TruthGradMag:
      l.texture = &t.gradient;
      l.source = FieldSource::Magnitude;
      l.map = ColorMap::Sequential;
      l.hi = r.magnitude;
      break;
    case GradX:
    case GradY:
    case TruthGradX:
    case TruthGradY:
      l.texture = &t.gradient;
      l.source = FieldSource::Scalar;
      l.component = id == GradX || id == TruthGradX ? 1 : 0;
      l.map = ColorMap::Diverging;
      l.lo = -r.gradient;
      l.hi = r.gradient;
      break;
    case Lap:
    case TruthLap:
      l.texture = &t.laplacian;
      l.source = FieldSource::Scalar;
      l.map = ColorMap::Diverging;
      l.lo = -r.laplacian;
      l.hi = r.laplacian;
      break;
    case kCount: break;
  }
  return l;
}

void ViewsPanel::draw() {
  sync_task();
  const auto image = experiment_.image();
  const auto session = experiment_.session();
  if (!image || !session) {
    ImGui::TextDisabled(experiment_.loading() ? "Loading the image..." : "Open an image to start (see Image, left).");
    return;
  }
  history_.update(*session);

  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float header = ImGui::GetFrameHeightWithSpacing();
  const float extra = 3.0f * ImGui::GetTextLineHeightWithSpacing() + 8.0f;  // label, colour bar, range
  const float side = std::floor(std::max(
      32.0f, std::min((avail.x - 3 * style.ItemSpacing.x) / 4.0f, (avail.y - header - 3 * extra - 2 * style.ItemSpacing.y) / 3.0f)));

  const bool zoomed = shown_ != home_;
  const float px_scale = ImGui::GetIO().DisplayFramebufferScale.x;
  fields_.update(session, image, zoomed && config_.network_zoom ? std::optional<ViewRect>(shown_) : std::nullopt,
                 int(side * px_scale));
  for (auto [images, seen] : {std::pair{fields_.value_images(), &seen_values_},
                              std::pair{fields_.derivative_images(), &seen_derivatives_}})
    if (images && images != *seen) {
      *seen = images;
      evaluated_.add(images->generation, images->step, images->metrics);
    }

  // Header: zoom state and the colour-scale choice; after the update, so that it names the step the
  // views below show in this same frame.
  const double zoom = home_.height() / shown_.height();
  ImGui::Text("Zoom %.1fx", zoom);
  tooltip("Scroll over any view to zoom, drag to pan; the network is evaluated again at the new resolution,\n"
          "while the image shows its pixels.");
  ImGui::SameLine();
  ImGui::BeginDisabled(shown_ == home_);
  if (ImGui::SmallButton("Whole image")) reset_zoom();
  tooltip("Zoom out to the whole image (Z, or double-click a view).");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Checkbox("Same colour scale as the image", &shared_scale_);
  tooltip("Draw the network's derivatives on the colour scales of the image's filter derivatives, so the two\n"
          "rows compare directly. Off: each view scales to its own values (99th percentile).");
  ImGui::SameLine();
  const uint64_t shown_step = fields_.base().value_step;
  ImGui::TextDisabled("   views from step %llu", static_cast<unsigned long long>(shown_step));

  auto view = [&](Id id) {
    const FieldLayer l = layer(id, false);
    const bool network = id == Fit || id == GradMag || id == GradX || id == GradY || id == Lap;
    if (network && fields_.zoom()) {
      const FieldLayer under = layer(id, true);
      views_[id].draw(renderer_, l, shown_, home_, side, &under);
    } else {
      views_[id].draw(renderer_, l, shown_, home_, side);
    }
  };
  view(Truth);
  ImGui::SameLine();
  view(Fit);
  ImGui::SameLine();
  view(Error);
  ImGui::SameLine();
  ImGui::BeginGroup();
  const float plot_h = (side + extra - style.ItemSpacing.y) * 0.5f;
  ImGui::BeginChild("plots", ImVec2(side, side + extra), false, ImGuiWindowFlags_NoScrollbar);
  draw_loss_plot(history_, plot_h);
  if (config_.evaluated_psnr) {
    PlotOptions psnr;
    psnr.title = "PSNR (dB)";
    psnr.tooltip = "PSNR of the reconstruction (after removing what the supervision cannot see) against the\n"
                   "image, and of the network's exact gradient and Laplacian against the image's filters.";
    psnr.height = plot_h;
    line_plot("evaluated_psnr", psnr,
              {{"img", IM_COL32(90, 200, 255, 255), &evaluated_.steps("psnr_db"), &evaluated_.values("psnr_db")},
               {"grad", IM_COL32(255, 170, 60, 255), &evaluated_.steps("gradient_psnr_db"),
                &evaluated_.values("gradient_psnr_db")},
               {"lap", IM_COL32(120, 220, 120, 255), &evaluated_.steps("laplacian_psnr_db"),
                &evaluated_.values("laplacian_psnr_db")}});
  } else {
    draw_psnr_plot(history_, plot_h);
  }
  ImGui::EndChild();
  ImGui::EndGroup();
  for (Id id : {GradMag, GradX, GradY, Lap}) {
    view(id);
    if (id != Lap) ImGui::SameLine();
  }
  for (Id id : {TruthGradMag, TruthGradX, TruthGradY, TruthLap}) {
    view(id);
    if (id != TruthLap) ImGui::SameLine();
  }
}

std::vector<ViewPlacement> ViewsPanel::placements() const {
  std::vector<ViewPlacement> out;
  for (const FieldView& v : views_) out.push_back(v.placement());
  return out;
}

}  // namespace siren::studio
