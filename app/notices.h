#pragma once
#include <string>
#include <vector>

namespace siren {
class Session;
}

namespace siren::studio {

enum class NoticeLevel { Info, Warning, Error };

struct Notice {
  NoticeLevel level = NoticeLevel::Info;
  std::string text;
  double time = 0;  // seconds since the program started
};

// Everything the user must know (a file that would not open, a run the divergence guard restored,
// settings that restarted training), shown in the window: the newest as toasts over the views for a
// few seconds, all of them in the Messages list. Also echoed to stderr for logs. UI thread only.
class NoticeLog {
 public:
  void add(NoticeLevel level, std::string text);
  void info(std::string text) { add(NoticeLevel::Info, std::move(text)); }
  void warning(std::string text) { add(NoticeLevel::Warning, std::move(text)); }
  void error(std::string text) { add(NoticeLevel::Error, std::move(text)); }
  const std::vector<Notice>& all() const { return notices_; }

  // The Messages list (inside the current window) and the toasts (over everything).
  void draw_list(float height);
  void draw_toasts(float right, float top);

 private:
  std::vector<Notice> notices_;
  size_t seen_ = 0;  // toasts already dismissed
};

const char* to_string(NoticeLevel level);

// Moves what a Session has to say into the log, at the levels it gives (UI thread).
void forward_session_notices(NoticeLog& log, Session& session, const std::string& prefix = "");

}  // namespace siren::studio
