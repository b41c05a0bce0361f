#include "app/modes/sdf/sdf_run.h"

#include <utility>

#include "core/io/mesh.h"
#include "core/io/model_file.h"
#include "core/util/error.h"

namespace siren::studio {

namespace {

// SdfTask::extract_mesh asks a Backend for values slab by slab; this one answers from the Session's
// evaluate on one snapshot (the GUI talks to the core through its Session only) and counts the points,
// which is the export's progress.
class SnapshotBackend final : public Backend {
 public:
  SnapshotBackend(std::shared_ptr<Session> session, WeightsSnapshot snap, std::atomic<uint64_t>& done)
      : session_(std::move(session)), snap_(std::move(snap)), done_(done) {}
  std::string name() const override { return "session"; }
  std::string device() const override { return "the training session's backend"; }
  std::unique_ptr<Trainer> make_trainer(const NetworkConfig&, std::vector<float>, const AdamConfig&,
                                        std::shared_ptr<const TrainingData>, size_t, uint64_t) override {
    throw Error("internal: a snapshot cannot be trained");
  }
  FieldJets evaluate(const NetworkConfig&, const std::vector<float>&, const float* coords, size_t n,
                     JetMode mode) override {
    FieldJets f = session_->evaluate(snap_, coords, n, mode);
    done_ += n;
    return f;
  }

 private:
  std::shared_ptr<Session> session_;
  WeightsSnapshot snap_;
  std::atomic<uint64_t>& done_;
};

}  // namespace

struct SdfRun::Opened {
  uint64_t serial = 0;
  std::string path;
  SdfSettings settings;
  std::shared_ptr<const SdfTask> task;
  std::shared_ptr<Session> session;
  std::string error;
};

SdfRun::SdfRun(JobThread& background, NoticeLog& notices, SdfSettings initial)
    : background_(background), notices_(notices), requested_(std::move(initial)), inbox_(std::make_shared<Inbox>()) {}

SdfRun::~SdfRun() { session_.reset(); }

void SdfRun::Inbox::report(NoticeLevel level, std::string text) {
  std::lock_guard<std::mutex> lock(mu);
  reported.push_back({level, std::move(text), 0});
}

void SdfRun::report(NoticeLevel level, std::string text) { inbox_->report(level, std::move(text)); }

void SdfRun::release(std::shared_ptr<Session> s) {
  // A session's destructor waits for its training step to end: let the background thread wait.
  if (s) background_.post([s]() mutable { s.reset(); });
}

SdfSettings SdfRun::settings() const {
  SdfSettings s = requested_;
  if (session_) s.session = session_->settings();
  return s;
}

void SdfRun::open(const std::string& path) { open_with(path, settings(), autostart_); }

void SdfRun::open_with(const std::string& path, const SdfSettings& s, bool start) {
  const uint64_t serial = ++open_serial_;
  ++pending_opens_;
  background_.post([inbox = inbox_, path, s, start, serial] {
    Opened o;
    o.serial = serial;
    o.path = path;
    o.settings = s;
    try {
      std::shared_ptr<const SdfTask> task = SdfTask::from_file(path);
      o.task = task;
      // Built on the lowered background thread, so its training threads inherit the priority.
      try {
        o.session = std::make_shared<Session>(task, s.session);
      } catch (const Error& e) {
        if (s.session.backend == BackendKind::Cpu) throw;
        // A GPU that is not there must not leave the user without a run: fall back to the CPU.
        const SdfSettings cpu = default_sdf_settings(false);
        o.settings.session = cpu.session;
        o.settings.volume_resolution = cpu.volume_resolution;
        o.settings.precise_scale = cpu.precise_scale;
        o.session = std::make_shared<Session>(task, o.settings.session);
        inbox->report(NoticeLevel::Warning, std::string(e.what()) + " - training on the CPU with its defaults instead.");
      }
      if (start) o.session->start();
    } catch (const std::exception& e) {
      o.error = e.what();
      o.session.reset();
    }
    std::lock_guard<std::mutex> lock(inbox->mu);
    inbox->opened.push_back(std::move(o));
  });
}

void SdfRun::release_all() {
  ++open_serial_;  // opens still in flight are dropped when they arrive
  if (session_) session_->pause();
  release(std::move(session_));
}

void SdfRun::poll() {
  std::vector<Opened> opened;
  std::vector<Notice> reported;
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    opened.swap(inbox_->opened);
    reported.swap(inbox_->reported);
  }
  for (Opened& o : opened) {
    --pending_opens_;
    if (!o.error.empty()) {
      notices_.error("Could not open " + o.path + ": " + o.error);
      if (!task_ && !fallback_.empty() && o.path != fallback_) {
        notices_.info("Showing the bundled shape instead: " + fallback_);
        open_with(fallback_, o.settings, autostart_);
      }
      continue;
    }
    if (o.serial != open_serial_) {  // overtaken by a later open
      release(std::move(o.session));
      continue;
    }
    release(std::move(session_));
    path_ = o.path;
    task_ = std::move(o.task);
    session_ = std::move(o.session);
    requested_ = o.settings;
    notices_.info("Training on " + path_ + " (" + std::to_string(task_->point_count()) + " oriented points, " +
                  session_->settings().network.describe() + ", " + session_->status().backend + " backend)");
    if (on_opened_) on_opened_(path_);
    if (!deferred_model_.empty()) load_model(std::exchange(deferred_model_, std::string()));
  }
  if (!deferred_model_.empty() && !session_ && pending_opens_ == 0) {
    notices_.error("Could not load the model " + deferred_model_ + ": no shape opened to train it on.");
    deferred_model_.clear();
  }
  for (Notice& n : reported) notices_.add(n.level, std::move(n.text));
  if (session_) forward_session_notices(notices_, *session_);
}

void SdfRun::apply(const SdfSettings& s) {
  const SdfSettings current = settings();
  requested_.volume_resolution = s.volume_resolution;
  requested_.precise_scale = s.precise_scale;
  const std::string change = describe_sdf_run_change(current, s);
  if (change.empty()) return;
  SdfSettings next = s;
  next.session.network.in_dim = 3;
  next.session.network.out_dim = 1;
  requested_ = next;
  if (!session_) return;
  notices_.info("Restarting training with fresh weights: " + change + ".");
  if (current.session.backend != next.session.backend) {
    // A backend that cannot start must not end the run: build it like a new file, with the fallback.
    open_with(path_, next, autostart_ || session_->status().state == SessionState::Running);
    return;
  }
  try {
    session_->reset(next.session);
  } catch (const std::exception& e) {
    notices_.error(std::string("Could not apply the settings: ") + e.what());
  }
}

double SdfRun::export_progress() const {
  return std::min(1.0, double(inbox_->export_done.load()) / double(std::max<uint64_t>(inbox_->export_total.load(), 1)));
}

void SdfRun::export_mesh(const std::string& path, int resolution) {
  if (!session_ || !task_) return notices_.error("Nothing to export yet: no network is training.");
  if (inbox_->exporting) return notices_.warning("A mesh export is already running; wait for it to finish.");
  const WeightsSnapshot snap = session_->snapshot();
  if (!snap.params) return notices_.error("Nothing to export yet: the network has no weights.");
  inbox_->exporting = true;
  inbox_->export_done = 0;
  inbox_->export_total = uint64_t(resolution) * resolution * resolution;
  notices_.info("Extracting the surface at " + std::to_string(resolution) + "^3 to " + path + "...");
  background_.post([inbox = inbox_, path, resolution, snap, session = session_, task = task_] {
    try {
      SnapshotBackend backend(session, snap, inbox->export_done);
      const io::Mesh mesh = task->extract_mesh(backend, snap.config, *snap.params, resolution);
      if (mesh.triangle_count() == 0) throw Error("the network's zero level set is empty (train longer)");
      io::save_mesh(path, mesh);
      inbox->report(NoticeLevel::Info, "Saved " + path + " (" + std::to_string(mesh.triangle_count()) + " triangles, " +
                                    std::to_string(resolution) + "^3, weights of step " + std::to_string(snap.step) + ").");
    } catch (const std::exception& e) {
      inbox->report(NoticeLevel::Error, "Could not export the mesh: " + std::string(e.what()));
    }
    inbox->exporting = false;
  });
}

void SdfRun::save_model(const std::string& path) {
  if (!session_ || !task_) return notices_.error("Nothing to save yet: no network is training.");
  const WeightsSnapshot snap = session_->snapshot();
  if (!snap.params) return notices_.error("Nothing to save yet: the network has no weights.");
  io::Model model{snap.config, *snap.params, task_->model_info()};
  background_.post([inbox = inbox_, path, model = std::move(model), step = snap.step] {
    try {
      io::save_model(path, model);
      inbox->report(NoticeLevel::Info, "Saved the model at step " + std::to_string(step) + " to " + path);
    } catch (const std::exception& e) {
      inbox->report(NoticeLevel::Error, "Could not save the model: " + std::string(e.what()));
    }
  });
}

void SdfRun::load_model(const std::string& path) {
  if (!session_) {
    if (pending_opens_ > 0) {
      deferred_model_ = path;
      return;
    }
    return notices_.error("Open a shape before loading a model for it.");
  }
  std::shared_ptr<Session> session = session_;
  ++inbox_->pending_loads;
  background_.post([inbox = inbox_, path, session] {
    try {
      io::Model m = io::load_model(path);
      const std::string what = m.config.describe();
      session->load(m.config, std::move(m.params));
      session->wait_idle();
      inbox->report(NoticeLevel::Info, "Loaded " + path + ": " + what + "; training continues from its weights.");
    } catch (const std::exception& e) {
      inbox->report(NoticeLevel::Error, "Could not load the model " + path + ": " + e.what());
    }
    --inbox->pending_loads;
  });
}

}  // namespace siren::studio
