#include "app/panels/metrics_panel.h"

#include <imgui.h>

#include <cmath>

#include "app/panels/line_plot.h"
#include "app/ui_util.h"

namespace siren::studio {

void MetricHistory::update(const Session& session) {
  const uint64_t generation = session.status().generation;
  if (session.id() != session_id_ || generation != generation_) {
    session_id_ = session.id();
    generation_ = generation;
    steps_.clear();
    loss_.clear();
    psnr_.clear();
  } else if (!due(refreshed_, kLiveRefreshSeconds)) {
    return;
  }
  for (const MetricSample& m : session.history(steps_.size())) {
    steps_.push_back(float(m.step));
    loss_.push_back(float(m.loss));
    psnr_.push_back(float(m.psnr_db));
  }
}

void draw_loss_plot(const MetricHistory& h, float height) {
  PlotOptions loss;
  loss.title = "Loss (MSE, log scale)";
  loss.tooltip = "Training loss of every step: mean squared error on the network's [-1, 1] scale.";
  loss.log_y = true;
  loss.height = height;
  line_plot("loss_plot", loss, {{"loss", IM_COL32(255, 170, 60, 255), &h.steps(), &h.loss()}});
}

void draw_psnr_plot(const MetricHistory& h, float height) {
  PlotOptions psnr;
  psnr.title = "PSNR (dB)";
  psnr.tooltip = "Peak signal-to-noise ratio of the fit, from each step's loss (higher is better).";
  psnr.height = height;
  line_plot("psnr_plot", psnr, {{"PSNR", IM_COL32(90, 200, 255, 255), &h.steps(), &h.psnr()}});
}

void MetricSeries::add(uint64_t generation, uint64_t step, const std::map<std::string, double>& metrics) {
  if (generation != generation_) {
    generation_ = generation;
    series_.clear();
  }
  for (const auto& [name, v] : metrics) {
    auto& [x, y] = series_[name];
    if (!x.empty() && x.back() >= float(step)) continue;  // the two evaluations of one step give it once
    x.push_back(float(step));
    y.push_back(float(v));
  }
}

const std::vector<float>& MetricSeries::steps(const std::string& name) const {
  static const std::vector<float> none;
  const auto it = series_.find(name);
  return it == series_.end() ? none : it->second.first;
}

const std::vector<float>& MetricSeries::values(const std::string& name) const {
  static const std::vector<float> none;
  const auto it = series_.find(name);
  return it == series_.end() ? none : it->second.second;
}

double MetricSeries::last(const std::string& name) const {
  const std::vector<float>& v = values(name);
  return v.empty() ? std::nan("") : double(v.back());
}

}  // namespace siren::studio
