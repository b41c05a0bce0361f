#pragma once
#include <imgui.h>

#include <chrono>
#include <cmath>

namespace siren::studio {

// Every control says what it does: call right after the widget.
inline void tooltip(const char* text) {
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

// A labelled section header, consistent across panels.
inline void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "%s", title);
  ImGui::Separator();
}

// True once per `period`-long slot of a shared clock (and on the first call). Numbers that change
// with every training step are refreshed a few times a second, all on the same slots, so that most
// frames draw exactly what the one before did and are not rendered at all (StudioApp::frame): on a
// software rasteriser each rendered frame costs CPU that training needs.
inline double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline bool due(double& last_slot, double period) {
  const double slot = std::floor(seconds_now() / period);
  if (slot == last_slot) return false;
  last_slot = slot;
  return true;
}

constexpr double kLiveRefreshSeconds = 0.25;  // step, loss, plots, fit: four times a second

// Settings are edited as pending values and take effect together, with a restart: the Apply and restart
// / Revert pair under every settings panel, enabled when something changed. Returns which was pressed.
enum class PendingAction { None, Apply, Revert };
inline PendingAction apply_revert_buttons(bool changed) {
  PendingAction action = PendingAction::None;
  ImGui::BeginDisabled(!changed);
  if (ImGui::Button("Apply and restart")) action = PendingAction::Apply;
  tooltip("Start a new run with these settings (fresh weights).");
  ImGui::SameLine();
  if (ImGui::Button("Revert")) action = PendingAction::Revert;
  tooltip("Forget the edits and show the running settings again.");
  ImGui::EndDisabled();
  return action;
}

}  // namespace siren::studio
