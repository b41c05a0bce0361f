#include "app/notices.h"

#include "core/session/session.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "app/ui_util.h"

namespace siren::studio {

namespace {
constexpr double kToastSeconds = 8.0;
constexpr size_t kMaxNotices = 500;
constexpr size_t kMaxToasts = 4;

double clock_seconds() {
  static const auto start = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ImVec4 level_color(NoticeLevel level) {
  switch (level) {
    case NoticeLevel::Error: return ImVec4(1.0f, 0.45f, 0.4f, 1.0f);
    case NoticeLevel::Warning: return ImVec4(1.0f, 0.8f, 0.35f, 1.0f);
    case NoticeLevel::Info: break;
  }
  return ImVec4(0.8f, 0.85f, 0.9f, 1.0f);
}
}  // namespace

const char* to_string(NoticeLevel level) {
  switch (level) {
    case NoticeLevel::Error: return "error";
    case NoticeLevel::Warning: return "warning";
    case NoticeLevel::Info: break;
  }
  return "info";
}

void NoticeLog::add(NoticeLevel level, std::string text) {
  std::fprintf(stderr, "siren-studio: %s: %s\n", to_string(level), text.c_str());
  notices_.push_back({level, std::move(text), clock_seconds()});
  if (notices_.size() > kMaxNotices) {
    notices_.erase(notices_.begin(), notices_.begin() + long(notices_.size() - kMaxNotices));
    seen_ = 0;
  }
}

void NoticeLog::draw_list(float height) {
  ImGui::BeginChild("messages", ImVec2(0, height), true);
  for (const Notice& n : notices_) {
    ImGui::PushStyleColor(ImGuiCol_Text, level_color(n.level));
    ImGui::TextWrapped("[%5.0fs] %s", n.time, n.text.c_str());
    ImGui::PopStyleColor();
  }
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 4.0f) ImGui::SetScrollHereY(1.0f);
  ImGui::EndChild();
  tooltip("Everything the program had to tell you, newest last: files that did not open, restarts, restored runs.");
}

void NoticeLog::draw_toasts(float right, float top) {
  const double now = clock_seconds();
  while (seen_ < notices_.size() && now - notices_[seen_].time > kToastSeconds) ++seen_;
  if (seen_ >= notices_.size()) return;
  ImGui::SetNextWindowPos(ImVec2(right - 10.0f, top + 10.0f), ImGuiCond_Always, ImVec2(1.0f, 0.0f));
  ImGui::SetNextWindowSizeConstraints(ImVec2(200, 0), ImVec2(520, 400));
  ImGui::SetNextWindowBgAlpha(0.92f);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                                 ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                                 ImGuiWindowFlags_NoSavedSettings;
  if (ImGui::Begin("##toasts", nullptr, flags)) {
    ImGui::PushTextWrapPos(500.0f);
    // The newest few; a burst (a run restored eight times) must not bury the views.
    const size_t first = std::max(seen_, notices_.size() > kMaxToasts ? notices_.size() - kMaxToasts : size_t(0));
    if (first > seen_) ImGui::TextDisabled("%zu earlier messages: see Messages", first - seen_);
    for (size_t i = first; i < notices_.size(); ++i) {
      ImGui::PushStyleColor(ImGuiCol_Text, level_color(notices_[i].level));
      ImGui::TextWrapped("%s", notices_[i].text.c_str());
      ImGui::PopStyleColor();
    }
    ImGui::PopTextWrapPos();
    if (ImGui::SmallButton("Dismiss")) seen_ = notices_.size();
    tooltip("Hide these messages; they stay in the Messages list.");
  }
  ImGui::End();
}

void forward_session_notices(NoticeLog& log, Session& session, const std::string& prefix) {
  for (SessionNotice& n : session.take_notices()) {
    const NoticeLevel level = n.level == SessionNoticeLevel::Error     ? NoticeLevel::Error
                              : n.level == SessionNoticeLevel::Warning ? NoticeLevel::Warning
                                                                       : NoticeLevel::Info;
    log.add(level, prefix + n.text);
  }
}

}  // namespace siren::studio
