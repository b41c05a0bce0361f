#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/background.h"
#include "app/modes/sdf/sdf_settings.h"
#include "app/notices.h"
#include "core/session/session.h"
#include "core/tasks/sdf_task.h"

namespace siren::studio {

// The shape being fitted and its run: the point cloud (or mesh) as an SdfTask and the Session that
// trains on it. Loading, building and ending sessions, saving and mesh extraction all happen on the
// background thread; poll() on the UI thread swaps in what finished.
class SdfRun {
 public:
  SdfRun(JobThread& background, NoticeLog& notices, SdfSettings initial);
  ~SdfRun();

  // Trains on the file once it has loaded; until then the current run goes on. A file that does not
  // open becomes an error notice and changes nothing (the first one falls back to the bundled shape).
  void open(const std::string& path);
  void set_autostart(bool on) { autostart_ = on; }
  void set_fallback(std::string path) { fallback_ = std::move(path); }
  void on_opened(std::function<void(const std::string&)> f) { on_opened_ = std::move(f); }

  void poll();  // UI thread, once per frame
  // Ends the run off the UI thread (the mode is being switched away from); nothing trains after.
  void release_all();
  bool loading() const { return pending_opens_ > 0 || inbox_->pending_loads > 0; }

  const std::string& path() const { return path_; }
  std::shared_ptr<const SdfTask> task() const { return task_; }
  std::shared_ptr<Session> session() const { return session_; }
  SdfSettings settings() const;
  // The view settings (volume resolution, precise scale) take effect at once; the others restart.
  void apply(const SdfSettings& s);

  // The zero level set by marching cubes at resolution^3 from the weights on screen, in the input's
  // units, to .ply or .obj by the extension. One export at a time; progress() in [0, 1] meanwhile.
  void export_mesh(const std::string& path, int resolution);
  bool exporting() const { return inbox_->exporting; }
  double export_progress() const;
  void save_model(const std::string& path);
  void load_model(const std::string& path);

  // A notice from any thread; shown on the next poll().
  void report(NoticeLevel level, std::string text);

 private:
  struct Opened;
  void open_with(const std::string& path, const SdfSettings& s, bool start);
  void release(std::shared_ptr<Session> s);

  JobThread& background_;
  NoticeLog& notices_;
  SdfSettings requested_;
  bool autostart_ = true;
  std::string fallback_;
  std::function<void(const std::string&)> on_opened_;

  std::string path_;
  std::shared_ptr<const SdfTask> task_;
  std::shared_ptr<Session> session_;

  // What background jobs hand back. Shared with the jobs, so that one still running when the mode is
  // closed writes into this rather than into a destroyed SdfRun.
  struct Inbox {
    std::mutex mu;
    std::vector<Opened> opened;
    std::vector<Notice> reported;
    std::atomic<int> pending_loads{0};
    std::atomic<bool> exporting{false};
    std::atomic<uint64_t> export_done{0}, export_total{1};
    void report(NoticeLevel level, std::string text);
  };
  std::shared_ptr<Inbox> inbox_;
  int pending_opens_ = 0;
  // A model asked for while the first shape was still loading (a .safetensors named on the command
  // line): it needs the session that shape's open builds, so it waits for it.
  std::string deferred_model_;
  uint64_t open_serial_ = 0;
};

}  // namespace siren::studio
