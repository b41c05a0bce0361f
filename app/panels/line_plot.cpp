#include "app/panels/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace siren::studio {

namespace {

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool valid() const { return lo <= hi; }
};

double nice_step(double span, int target_ticks) {
  const double raw = span / std::max(target_ticks, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

bool usable(float v, bool log_y) { return std::isfinite(v) && (!log_y || v > 0); }
double transform(float v, bool log_y) { return log_y ? std::log10(double(v)) : double(v); }

}  // namespace

void line_plot(const char* id, const PlotOptions& opt, const std::vector<PlotSeries>& series) {
  ImGui::PushID(id);
  const float width = std::max(ImGui::GetContentRegionAvail().x, 100.0f);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("plot", ImVec2(width, opt.height));
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 frame = ImGui::GetColorU32(ImGuiCol_FrameBg), grid = IM_COL32(255, 255, 255, 30);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + opt.height), frame, 3.0f);
  dl->AddText(ImVec2(p0.x + 6, p0.y + 3), text, opt.title);

  Range xr, yr;
  for (const PlotSeries& s : series) {
    if (!s.x || !s.y) continue;
    const size_t n = std::min(s.x->size(), s.y->size());
    for (size_t i = 0; i < n; ++i)
      if (usable((*s.y)[i], opt.log_y)) {
        xr.add((*s.x)[i]);
        yr.add(transform((*s.y)[i], opt.log_y));
      }
  }
  const float left = 52.0f, right = 8.0f, top = 26.0f, bottom = 18.0f;  // room for the title and tick labels
  const ImVec2 a(p0.x + left, p0.y + top), b(p0.x + width - right, p0.y + opt.height - bottom);
  if (!xr.valid() || !yr.valid() || b.x - a.x < 20 || b.y - a.y < 20) {
    dl->AddText(ImVec2(a.x, (a.y + b.y) * 0.5f - 7), dim, "no data yet");
    if (hovered && *opt.tooltip) ImGui::SetTooltip("%s", opt.tooltip);
    ImGui::PopID();
    return;
  }
  if (xr.hi - xr.lo < 1) xr.hi = xr.lo + 1;
  if (opt.log_y) {
    yr.lo = std::floor(yr.lo);
    yr.hi = std::max(std::ceil(yr.hi), yr.lo + 1);
  } else {
    const double pad = std::max((yr.hi - yr.lo) * 0.05, 1e-6);
    yr.lo -= pad;
    yr.hi += pad;
  }
  auto px = [&](double x) { return float(a.x + (x - xr.lo) / (xr.hi - xr.lo) * (b.x - a.x)); };
  auto py = [&](double y) { return float(b.y - (y - yr.lo) / (yr.hi - yr.lo) * (b.y - a.y)); };

  // Axes: decades on a log axis, 1-2-5 steps otherwise.
  char buf[48];
  const double ystep = opt.log_y ? std::max(1.0, std::ceil((yr.hi - yr.lo) / 5)) : nice_step(yr.hi - yr.lo, 4);
  for (double y = std::ceil(yr.lo / ystep) * ystep; y <= yr.hi + 1e-9; y += ystep) {
    dl->AddLine(ImVec2(a.x, py(y)), ImVec2(b.x, py(y)), grid);
    if (opt.log_y) std::snprintf(buf, sizeof buf, "1e%d", int(std::lround(y)));
    else std::snprintf(buf, sizeof buf, "%.4g", y);
    dl->AddText(ImVec2(p0.x + 4, py(y) - 7), dim, buf);
  }
  const double xstep = nice_step(xr.hi - xr.lo, 5);
  for (double x = std::ceil(xr.lo / xstep) * xstep; x <= xr.hi + 1e-9; x += xstep) {
    dl->AddLine(ImVec2(px(x), a.y), ImVec2(px(x), b.y), grid);
    std::snprintf(buf, sizeof buf, "%.6g", x);
    dl->AddText(ImVec2(px(x) - ImGui::CalcTextSize(buf).x * 0.5f, b.y + 2), dim, buf);
  }

  dl->PushClipRect(a, b, true);
  std::vector<ImVec2> pts;
  for (const PlotSeries& s : series) {
    if (!s.x || !s.y) continue;
    const size_t n = std::min(s.x->size(), s.y->size());
    const size_t stride = std::max<size_t>(1, n / size_t(2 * (b.x - a.x)));
    pts.clear();
    auto add = [&](size_t j) {
      if (usable((*s.y)[j], opt.log_y)) pts.emplace_back(px((*s.x)[j]), py(transform((*s.y)[j], opt.log_y)));
    };
    for (size_t i = 0; i < n; i += stride) add(i);
    if (n > 0 && (n - 1) % stride != 0) add(n - 1);  // always end at the newest value
    if (pts.size() >= 2) dl->AddPolyline(pts.data(), int(pts.size()), s.color, 0, 1.5f);
  }
  dl->PopClipRect();

  // Legend, top right.
  float lx = b.x;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    const float w = ImGui::CalcTextSize(it->name).x;
    lx -= w + 18;
    dl->AddRectFilled(ImVec2(lx, p0.y + 7), ImVec2(lx + 10, p0.y + 13), it->color);
    dl->AddText(ImVec2(lx + 13, p0.y + 3), text, it->name);
  }

  if (hovered) {
    const double x = xr.lo + (ImGui::GetIO().MousePos.x - a.x) / (b.x - a.x) * (xr.hi - xr.lo);
    dl->AddLine(ImVec2(px(x), a.y), ImVec2(px(x), b.y), IM_COL32(255, 255, 255, 80));
    std::string tip = std::string(opt.tooltip) + (*opt.tooltip ? "\n" : "");
    std::snprintf(buf, sizeof buf, "step %.0f", x);
    tip += buf;
    for (const PlotSeries& s : series) {
      if (!s.x || !s.y || s.x->empty()) continue;
      const auto it = std::lower_bound(s.x->begin(), s.x->end(), float(x));
      const size_t i = std::min(size_t(it - s.x->begin()), std::min(s.x->size(), s.y->size()) - 1);
      std::snprintf(buf, sizeof buf, "\n%s: %.4g", s.name, double((*s.y)[i]));
      tip += buf;
    }
    ImGui::SetTooltip("%s", tip.c_str());
  }
  ImGui::PopID();
}

}  // namespace siren::studio
