#include "app/panels/session_controls.h"

#include <imgui.h>

#include <cmath>

#include "app/ui_util.h"

namespace siren::studio {

void SessionControls::draw(const std::shared_ptr<Session>& session, bool loading, const Text& text,
                           const Actions& actions) {
  ImGui::BeginDisabled(!session);
  const SessionStatus now = session ? session->status() : SessionStatus{};
  const uint64_t id = session ? session->id() : 0;
  if (id != shown_session_ || now.state != shown_.state || due(refreshed_, kLiveRefreshSeconds)) {
    shown_ = now;
    shown_session_ = id;
  }
  const SessionStatus& st = shown_;
  const bool running = st.state == SessionState::Running;
  if (ImGui::Button(running ? "Pause" : "Start", ImVec2(70, 0)) && actions.toggle) actions.toggle();
  tooltip(running ? "Pause training (Space). The views keep the last weights." : "Train continuously (Space).");
  ImGui::SameLine();
  if (ImGui::Button("Step", ImVec2(60, 0)) && actions.step) actions.step();
  tooltip("Take one optimiser step and pause (S).");
  ImGui::SameLine();
  if (ImGui::Button(text.reset_label.c_str()) && actions.reset) actions.reset();
  tooltip(text.reset_help.c_str());
  ImGui::EndDisabled();
  if (!session) {
    ImGui::TextDisabled("%s", loading ? text.loading.c_str() : text.empty.c_str());
    return;
  }
  if (st.state == SessionState::Failed)
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "Training stopped (see Messages): Reset, or lower\nthe learning rate and Apply.");
  const char* state = running ? "running" : st.state == SessionState::Paused ? "paused" : "stopped";
  ImGui::Text("Step %llu  (%s)", static_cast<unsigned long long>(st.step), state);
  tooltip("Optimiser steps taken in this run.");
  ImGui::Text("%.1f steps/s", st.steps_per_second);
  tooltip("Training speed, measured over the last half second.");
  if (std::isfinite(st.loss)) ImGui::Text("Loss %.4e", st.loss);
  else ImGui::TextDisabled("Loss -");
  tooltip(text.loss_help.c_str());
  if (text.psnr) {
    if (st.psnr_db) ImGui::Text("PSNR %.2f dB", *st.psnr_db);
    else ImGui::TextDisabled("PSNR -");
    tooltip("Peak signal-to-noise ratio of the fit, from the loss.");
  }
  ImGui::Text("lr %.2e   %s", double(st.learning_rate), st.backend.c_str());
  tooltip(("Current learning rate (the divergence guard halves it after a blow-up) and backend.\n" + st.device).c_str());
}

}  // namespace siren::studio
