#include "app/views/field_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace siren::studio {

namespace {
constexpr float kBarHeight = 8.0f;
constexpr double kMaxZoom = 512.0;

void range_label(float v, char* buf, size_t n) { std::snprintf(buf, n, "%.3g", double(v)); }
uint64_t g_redraws = 0;  // UI thread only
}  // namespace

uint64_t FieldView::redraws() { return g_redraws; }

FieldView::FieldView(std::string id, std::string label, std::string help)
    : id_(std::move(id)), label_(std::move(label)), help_(std::move(help)) {
  placement_.id = id_;
}

bool FieldView::interact(ViewRect& shown, const ViewRect& home, ImVec2 min, float side) {
  ImGuiIO& io = ImGui::GetIO();
  bool changed = false;
  if (ImGui::IsItemHovered() && io.MouseWheel != 0.0f) {
    const double factor = std::pow(1.25, double(io.MouseWheel));
    const double fy = std::clamp(double(io.MousePos.y - min.y) / side, 0.0, 1.0);
    const double fx = std::clamp(double(io.MousePos.x - min.x) / side, 0.0, 1.0);
    ViewRect next = zoomed(shown, factor, fy, fx);
    // Zooming out stops at the whole image; zooming in stops where float coordinates run out.
    if (next.height() >= home.height()) next = home;
    if (home.height() / next.height() <= kMaxZoom) {
      shown = next;
      changed = true;
    }
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
    const ImVec2 d = io.MouseDelta;
    if (d.x != 0.0f || d.y != 0.0f) {
      shown = panned(shown, double(d.y) / side, double(d.x) / side);
      changed = true;
    }
  }
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) && shown != home) {
    shown = home;
    changed = true;
  }
  return changed;
}

bool FieldView::draw(FieldRenderer& renderer, const FieldLayer& layer, ViewRect& shown, const ViewRect& home,
                     float side, const FieldLayer* under) {
  ImGui::PushID(id_.c_str());
  ImGui::BeginGroup();
  ImGui::TextUnformatted(label_.c_str());
  const ImVec2 min = ImGui::GetCursorScreenPos();
  side = std::max(side, 16.0f);
  ImGui::InvisibleButton("view", ImVec2(side, side));
  const bool changed = interact(shown, home, min, side);
  if (ImGui::IsItemHovered() && !ImGui::IsItemActive()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const double row = shown.row0 + double(m.y - min.y) / side * shown.height();
    const double col = shown.col0 + double(m.x - min.x) / side * shown.width();
    const std::string probe = probe_ ? probe_(row, col) : std::string();
    ImGui::SetTooltip("%s\n%s\n(row %.3f, col %.3f)%s%s\nScroll to zoom, drag to pan, double-click to see the whole image.",
                      label_.c_str(), help_.c_str(), row, col, probe.empty() ? "" : ": ", probe.c_str());
  }
  const ImVec2 max(min.x + side, min.y + side);
  placement_.label = label_;
  placement_.min = min;
  placement_.max = max;

  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (layer.texture && layer.texture->valid()) {
    const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
    const bool resized = target_.resize(int(std::lround(side * scale.x)), int(std::lround(side * scale.y)));
    const bool has_under = under && under->texture && under->texture->valid();
    const FieldLayer under_layer = has_under ? *under : FieldLayer{};
    const uint64_t version = layer.texture->version() ^ (has_under ? under->texture->version() << 32 : 0);
    if (resized || !(layer == drawn_layer_) || !(under_layer == drawn_under_) || shown != drawn_rect_ ||
        version != drawn_version_) {
      if (has_under) renderer.draw(under_layer, shown, target_);
      renderer.draw(layer, shown, target_, has_under);
      ++g_redraws;
      drawn_layer_ = layer;
      drawn_under_ = under_layer;
      drawn_rect_ = shown;
      drawn_version_ = version;
    }
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(target_.texture())), min, max);
  } else {
    dl->AddRectFilled(min, max, IM_COL32(30, 30, 36, 255));
    dl->AddText(ImVec2(min.x + 8, min.y + 8), IM_COL32(160, 160, 160, 255), "waiting for the network...");
  }
  dl->AddRect(min, max, IM_COL32(90, 90, 100, 255));

  // Colour bar with the values at its ends.
  const ImVec2 bar_min(min.x, max.y + 3.0f), bar_max(max.x, max.y + 3.0f + kBarHeight);
  ImGui::Dummy(ImVec2(side, kBarHeight + 3.0f));
  dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(renderer.colorbar(layer.map))), bar_min, bar_max);
  char lo[32], hi[32];
  if (layer.source == FieldSource::Value) {
    range_label(0.0f, lo, sizeof lo);
    range_label(1.0f, hi, sizeof hi);
  } else {
    range_label(layer.lo, lo, sizeof lo);
    range_label(layer.hi, hi, sizeof hi);
  }
  // Drawn rather than laid out, so the high end sits flush with the view's right edge.
  const float line = ImGui::GetTextLineHeight();
  const ImVec2 text_pos(min.x, bar_max.y + 1.0f);
  const ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text);
  dl->AddText(text_pos, text_col, lo);
  dl->AddText(ImVec2(max.x - ImGui::CalcTextSize(hi).x, text_pos.y), text_col, hi);
  ImGui::Dummy(ImVec2(side, line + 1.0f));
  ImGui::EndGroup();
  ImGui::PopID();
  return changed;
}

}  // namespace siren::studio
