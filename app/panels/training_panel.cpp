#include "app/panels/training_panel.h"

#include <imgui.h>

#include <cmath>

#include "app/ui_util.h"

namespace siren::studio {

void TrainingPanel::toggle() {
  if (auto s = experiment_.session()) {
    if (s->status().state == SessionState::Running) s->pause();
    else s->start();
  }
}

void TrainingPanel::single_step() {
  if (auto s = experiment_.session()) s->step(1);
}

void TrainingPanel::reset() {
  if (auto s = experiment_.session()) {
    s->reset();
    experiment_.report(NoticeLevel::Info, "Training restarted from fresh weights (same settings).");
  }
}

void TrainingPanel::draw() {
  section("Training");
  const auto session = experiment_.session();
  ImGui::BeginDisabled(!session);
  // Button state follows the session at once; the numbers a few times a second (ui_util.h, due()).
  const SessionStatus now = session ? session->status() : SessionStatus{};
  if (session.get() != shown_session_ || now.state != shown_.state || due(refreshed_, kLiveRefreshSeconds)) {
    shown_ = now;
    shown_session_ = session.get();
  }
  const SessionStatus& st = shown_;
  const bool running = st.state == SessionState::Running;
  if (ImGui::Button(running ? "Pause" : "Start", ImVec2(70, 0))) toggle();
  tooltip(running ? "Pause training (Space). The views keep the last weights." : "Train continuously (Space).");
  ImGui::SameLine();
  if (ImGui::Button("Step", ImVec2(60, 0))) single_step();
  tooltip("Take one optimiser step and pause (S).");
  ImGui::SameLine();
  if (ImGui::Button("Reset", ImVec2(60, 0))) reset();
  tooltip("Start again from freshly initialised weights with the same settings (R).");
  ImGui::EndDisabled();
  if (!session) {
    ImGui::TextDisabled(experiment_.loading() ? "Loading the image..." : "No image open.");
    return;
  }

  if (st.state == SessionState::Failed)
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "Training stopped (see Messages): Reset, or lower\nthe learning rate and Apply.");
  const char* state = st.state == SessionState::Running ? "running" : st.state == SessionState::Paused ? "paused" : "stopped";
  ImGui::Text("Step %llu  (%s)", static_cast<unsigned long long>(st.step), state);
  tooltip("Optimiser steps taken in this run.");
  ImGui::Text("%.1f steps/s", st.steps_per_second);
  tooltip("Training speed, measured over the last half second.");
  if (std::isfinite(st.loss)) ImGui::Text("Loss %.4e", st.loss);
  else ImGui::TextDisabled("Loss -");
  tooltip("The last step's loss (mean squared error on the [-1, 1] scale).");
  if (st.psnr_db) ImGui::Text("PSNR %.2f dB", *st.psnr_db);
  else ImGui::TextDisabled("PSNR -");
  tooltip("Peak signal-to-noise ratio of the fit, from the loss.");
  ImGui::Text("lr %.2e   %s", double(st.learning_rate), st.backend.c_str());
  tooltip(("Current learning rate (the divergence guard halves it after a blow-up) and backend.\n" + st.device).c_str());
}

}  // namespace siren::studio
