#include "app/modes/poisson/poisson_mode.h"

#include <imgui.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "app/defaults.h"
#include "app/modes/poisson/poisson_fields.h"
#include "app/studio_options.h"
#include "app/ui_util.h"

namespace siren::studio {

namespace {

BuiltTask poisson_task(const io::Image& image, Supervision supervision) {
  PoissonFields f = poisson_fields(image, supervision);
  return {f.task, std::move(f.align)};
}

ViewsConfig views_for(Supervision s) {
  ViewsConfig c;
  c.fit_label = s == Supervision::Gradient ? "Reconstruction (offset removed)" : "Reconstruction (offset, ramp removed)";
  c.fit_help = s == Supervision::Gradient
                   ? "The network's output after removing the constant its gradient cannot determine\n"
                     "(least squares against the image), as the PSNR is measured."
                   : "The network's output after removing the constant and linear ramp its Laplacian cannot\n"
                     "determine (least squares against the image), as the PSNR is measured.";
  c.network_zoom = false;
  c.supervision = to_string(s);
  c.evaluated_psnr = true;
  return c;
}

}  // namespace

PoissonMode::PoissonMode(ModeContext& context)
    : ImageMode(context,
                derivative_task_settings(context.options),
                [](const io::Image& image) { return poisson_task(image, Supervision::Gradient); },
                views_for(Supervision::Gradient)) {}

void PoissonMode::set_supervision(Supervision s) {
  if (s == supervision_) return;
  supervision_ = s;
  context_.notices.info(std::string("Supervising with the image's ") + to_string(s) + ": a new run from fresh weights.");
  experiment().set_task_factory([s](const io::Image& image) { return poisson_task(image, s); });
  if (views()) views()->configure(views_for(s));
}

void PoissonMode::draw_task_section() {
  section("Supervision");
  int which = supervision_ == Supervision::Gradient ? 0 : 1;
  if (ImGui::Combo("Trained on", &which, "gradient (Sobel)\0Laplacian (5-point stencil)\0"))
    set_supervision(which == 0 ? Supervision::Gradient : Supervision::Laplacian);
  tooltip("What the network sees of the image: its gradient or its Laplacian only (the loss compares the\n"
          "network's exact derivative with it). The image is never shown to the network.");
  if (views()) {
    const MetricSeries& m = views()->evaluated();
    const double img = m.last("psnr_db"), grad = m.last("gradient_psnr_db"), lap = m.last("laplacian_psnr_db");
    if (std::isfinite(img)) ImGui::Text("PSNR image %.2f  grad %.2f  lap %.2f dB", img, grad, lap);
    else ImGui::TextDisabled("PSNR image -  grad -  lap -");
    tooltip("Of the reconstruction (after removing what the supervision cannot see) against the image, and\n"
            "of the network's exact gradient and Laplacian against the image's filters: the paper's table.");
  }
}

std::string PoissonMode::layout_json() const {
  nlohmann::json j = nlohmann::json::parse(ImageMode::layout_json());
  j["supervision"] = to_string(supervision_);
  if (views()) {
    nlohmann::json p;
    for (const char* k : {"psnr_db", "gradient_psnr_db", "laplacian_psnr_db"})
      if (std::isfinite(views()->evaluated().last(k))) p[k] = views()->evaluated().last(k);
    j["poisson"] = p;
  }
  return j.dump();
}

}  // namespace siren::studio
