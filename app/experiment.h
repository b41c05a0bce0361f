#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/background.h"
#include "app/defaults.h"
#include "app/notices.h"
#include "app/views/field_math.h"
#include "app/views/network_fields.h"
#include "core/io/image.h"
#include "core/session/session.h"
#include "core/tasks/task.h"

namespace siren::studio {

// A network trained beside the main run on the same image, for comparing activations.
struct CompareRun {
  Activation activation = Activation::Sine;
  std::shared_ptr<Session> session;
};

// What an experiment trains on an image: the task (an ImageTask, a PoissonTask, ...) and, where the
// network's raw values are not what the views should show, how to align them (FieldAlign).
struct BuiltTask {
  std::shared_ptr<const Task> task;
  FieldAlign align;
};
// Builds the task for an image at its training resolution; runs on the background thread, may throw.
using TaskFactory = std::function<BuiltTask(const io::Image& image)>;
// Plain image fitting (the default).
BuiltTask image_fitting_task(const io::Image& image);

// The image being fitted and the runs on it: the main Session and up to four comparison runs.
// Everything slow (decoding an image, building or tearing down a session, writing a model) happens
// on the background thread; the UI thread only swaps in finished results in poll().
class Experiment {
 public:
  Experiment(JobThread& background, NoticeLog& notices, RunSettings initial,
             TaskFactory factory = image_fitting_task);
  ~Experiment();

  // Another kind of task on the same image (e.g. another supervision): a new run once it is built.
  void set_task_factory(TaskFactory factory);
  // Ends every run off the UI thread (the mode is being switched away from); nothing trains after.
  void release_all();

  // Trains on the image at `path` (at the current image size) once it has loaded; until then the
  // current run goes on. A file that does not open becomes an error notice and changes nothing.
  void open(const std::string& path);
  void set_autostart(bool on) { autostart_ = on; }
  // Where to go when the very first image fails (the bundled one), so the window is never empty.
  void set_fallback(std::string path) { fallback_ = std::move(path); }
  // Called with each image that opened, for the recent-files list.
  void on_opened(std::function<void(const std::string&)> f) { on_opened_ = std::move(f); }

  void poll();  // UI thread, once per frame
  // An image or a model is on its way in (automation waits for it; the UI says "Loading...").
  bool loading() const { return pending_opens_ > 0 || pending_loads_ > 0; }

  const std::string& image_path() const { return path_; }
  std::shared_ptr<const Task> task() const { return task_; }
  // The image at its training resolution (what the task was built from).
  std::shared_ptr<const io::Image> image() const { return image_; }
  const FieldAlign& align() const { return align_; }
  std::shared_ptr<const FieldImages> truth() const { return truth_; }
  std::shared_ptr<Session> session() const { return session_; }
  RunSettings settings() const;

  // A new run with these settings; says what changed and that training restarted.
  void apply(const RunSettings& s);

  void start_compare(const std::vector<Activation>& activations);
  void stop_compare();
  const std::vector<CompareRun>& compare_runs() const { return compare_; }
  bool comparing() const { return !compare_.empty() || compare_pending_; }

  void save_model(const std::string& path);
  void load_model(const std::string& path);
  // Writes one field of the current network at `size` x `size` pixels (PNG or .npy), in the background.
  void export_field(const std::string& path, int field, int size);

  // A notice from any thread (background jobs); shown on the next poll().
  void report(NoticeLevel level, std::string text);

 private:
  struct Opened;
  void open_with(const std::string& path, const RunSettings& s, bool start);
  void install(Opened&& o);
  void release(std::shared_ptr<Session> s);

  JobThread& background_;
  NoticeLog& notices_;
  RunSettings requested_;
  bool autostart_ = true;
  std::string fallback_;
  std::function<void(const std::string&)> on_opened_;

  std::string path_;
  TaskFactory factory_;
  std::shared_ptr<const Task> task_;
  std::shared_ptr<const io::Image> image_;
  FieldAlign align_;
  std::shared_ptr<const FieldImages> truth_;
  std::shared_ptr<Session> session_;
  std::vector<CompareRun> compare_;
  std::vector<Activation> compare_activations_;
  bool compare_pending_ = false;

  // Results of background jobs, collected by poll().
  std::mutex mu_;
  std::vector<Opened> opened_;
  std::vector<std::vector<CompareRun>> compared_;
  std::vector<Notice> reported_;
  int pending_opens_ = 0;
  std::atomic<int> pending_loads_{0};
  uint64_t open_serial_ = 0;
  uint64_t compare_serial_ = 0;
};

}  // namespace siren::studio
