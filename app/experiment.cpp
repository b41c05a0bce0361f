#include "app/experiment.h"

#include "core/io/field_export.h"
#include "core/io/model_file.h"
#include "core/tasks/image_derivatives.h"
#include "core/tasks/image_task.h"
#include "core/util/error.h"

namespace siren::studio {

BuiltTask image_fitting_task(const io::Image& image) { return {std::make_shared<ImageTask>(image), nullptr}; }

struct Experiment::Opened {
  uint64_t serial = 0;
  std::string path;
  RunSettings settings;
  std::shared_ptr<const Task> task;
  std::shared_ptr<const io::Image> image;
  FieldAlign align;
  std::shared_ptr<const FieldImages> truth;
  std::shared_ptr<Session> session;
  std::string error;
};

Experiment::Experiment(JobThread& background, NoticeLog& notices, RunSettings initial, TaskFactory factory)
    : background_(background), notices_(notices), requested_(std::move(initial)), factory_(std::move(factory)) {}

void Experiment::set_task_factory(TaskFactory factory) {
  factory_ = std::move(factory);
  if (!path_.empty())
    open_with(path_, settings(), autostart_ || (session_ && session_->status().state == SessionState::Running));
}

void Experiment::release_all() {
  ++open_serial_;  // whatever is still being built is dropped when it arrives
  stop_compare();
  release(std::move(session_));
  task_.reset();
}

Experiment::~Experiment() {
  // Sessions end on this thread here: the background thread is about to go away with its queue.
  compare_.clear();
  session_.reset();
}

void Experiment::report(NoticeLevel level, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  reported_.push_back({level, std::move(text), 0});
}

void Experiment::release(std::shared_ptr<Session> s) {
  // A session's destructor waits for its training step to end: let the background thread wait.
  if (s) background_.post([s]() mutable { s.reset(); });
}

RunSettings Experiment::settings() const {
  RunSettings s = requested_;
  if (session_) s.session = session_->settings();
  return s;
}

void Experiment::open(const std::string& path) { open_with(path, settings(), autostart_); }

void Experiment::open_with(const std::string& path, const RunSettings& s, bool start) {
  const uint64_t serial = ++open_serial_;
  ++pending_opens_;
  background_.post([this, path, s, start, serial, factory = factory_] {
    Opened o;
    o.serial = serial;
    o.path = path;
    o.settings = s;
    try {
      auto image = std::make_shared<const io::Image>(io::resize_square(io::load_image(path), s.image_size));
      BuiltTask built = factory(*image);
      o.truth = std::make_shared<const FieldImages>(fields_from_image(*image, image_derivatives(*image)));
      o.image = image;
      o.task = built.task;
      o.align = std::move(built.align);
      auto task = built.task;
      // Built here, on the lowered background thread, so its training threads inherit the priority.
      try {
        o.session = std::make_shared<Session>(task, s.session);
      } catch (const Error& e) {
        if (s.session.backend == BackendKind::Cpu) throw;
        // A GPU that is not there must not leave the user without a run: fall back to the CPU.
        o.settings = default_settings(false);
        o.settings.image_size = s.image_size;
        o.session = std::make_shared<Session>(task, o.settings.session);
        report(NoticeLevel::Warning, std::string(e.what()) + " - training on the CPU with its defaults instead.");
      }
      if (start) o.session->start();
    } catch (const std::exception& e) {
      o.error = e.what();
      o.session.reset();
    }
    std::lock_guard<std::mutex> lock(mu_);
    opened_.push_back(std::move(o));
  });
}

void Experiment::install(Opened&& o) {
  if (!o.error.empty()) {
    notices_.error("Could not open " + o.path + ": " + o.error);
    if (!task_ && !fallback_.empty() && o.path != fallback_) {
      notices_.info("Showing the bundled image instead: " + fallback_);
      open_with(fallback_, o.settings, autostart_);
    }
    return;
  }
  if (o.serial != open_serial_) {  // overtaken by a later open
    release(std::move(o.session));
    return;
  }
  release(std::move(session_));
  path_ = o.path;
  task_ = std::move(o.task);
  image_ = std::move(o.image);
  align_ = std::move(o.align);
  truth_ = std::move(o.truth);
  session_ = std::move(o.session);
  requested_ = o.settings;
  const io::Image& img = *image_;
  notices_.info("Training on " + path_ + " (" + std::to_string(img.width) + "x" + std::to_string(img.height) + ", " +
                session_->settings().network.describe() + ", " + session_->status().backend + " backend)");
  if (on_opened_) on_opened_(path_);
  if (!compare_activations_.empty()) start_compare(compare_activations_);
}

void Experiment::poll() {
  std::vector<Opened> opened;
  std::vector<std::vector<CompareRun>> compared;
  std::vector<Notice> reported;
  {
    std::lock_guard<std::mutex> lock(mu_);
    opened.swap(opened_);
    compared.swap(compared_);
    reported.swap(reported_);
  }
  for (Opened& o : opened) {
    --pending_opens_;
    install(std::move(o));
  }
  for (auto& runs : compared) {
    compare_pending_ = false;
    // A comparison for another image or one stopped meanwhile is dropped.
    const bool current = !runs.empty() && &runs.front().session->task() == task_.get() && !compare_activations_.empty();
    if (!current) {
      for (auto& r : runs) release(std::move(r.session));
      continue;
    }
    for (auto& r : compare_) release(std::move(r.session));
    compare_ = std::move(runs);
  }
  for (Notice& n : reported) notices_.add(n.level, std::move(n.text));
  if (session_) forward_session_notices(notices_, *session_);
  for (CompareRun& r : compare_)
    forward_session_notices(notices_, *r.session, std::string("compare (") + to_string(r.activation) + "): ");
}

void Experiment::apply(const RunSettings& s) {
  const RunSettings current = settings();
  const std::string change = describe_change(current, s);
  if (change.empty()) return;
  RunSettings next = s;
  complete_network(next.session.network, next.image_size);
  if (next.image_size != current.image_size || !session_) {
    notices_.info("Restarting training: " + change + " (the image is resampled first).");
    requested_ = next;
    if (!path_.empty()) open_with(path_, next, autostart_ || (session_ && session_->status().state == SessionState::Running));
    return;
  }
  notices_.info("Restarting training with fresh weights: " + change + ".");
  requested_ = next;
  session_->reset(next.session);
}

void Experiment::start_compare(const std::vector<Activation>& activations) {
  compare_activations_ = activations;
  if (!task_ || activations.empty()) return;
  if (session_ && session_->status().state == SessionState::Running) {
    session_->pause();
    notices_.info("Paused the main run so that the comparison gets the CPU; press Start to resume it.");
  }
  compare_pending_ = true;
  const uint64_t serial = ++compare_serial_;
  const RunSettings base = settings();
  auto task = task_;
  background_.post([this, activations, base, task, serial] {
    std::vector<CompareRun> runs;
    for (Activation a : activations) {
      RunSettings s = base;
      s.session.network.activation = a;
      s.session.network.init = InitScheme::Siren;
      complete_network(s.session.network, s.image_size);
      try {
        CompareRun r{a, std::make_shared<Session>(task, s.session)};
        r.session->start();
        runs.push_back(std::move(r));
      } catch (const std::exception& e) {
        report(NoticeLevel::Error, std::string("Could not start the ") + to_string(a) + " run: " + e.what());
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (serial == compare_serial_) compared_.push_back(std::move(runs));
    else for (auto& r : runs) background_.post([s = std::move(r.session)]() mutable { s.reset(); });
  });
}

void Experiment::stop_compare() {
  compare_activations_.clear();
  compare_pending_ = false;
  ++compare_serial_;
  for (auto& r : compare_) release(std::move(r.session));
  compare_.clear();
}

void Experiment::save_model(const std::string& path) {
  if (!session_ || !task_) return notices_.error("Nothing to save yet: no network is training.");
  const WeightsSnapshot snap = session_->snapshot();
  if (!snap.params) return notices_.error("Nothing to save yet: the network has no weights.");
  io::Model model{snap.config, *snap.params, task_->model_info()};
  background_.post([this, path, model = std::move(model), step = snap.step] {
    try {
      io::save_model(path, model);
      report(NoticeLevel::Info, "Saved the model at step " + std::to_string(step) + " to " + path);
    } catch (const std::exception& e) {
      report(NoticeLevel::Error, "Could not save the model: " + std::string(e.what()));
    }
  });
}

void Experiment::load_model(const std::string& path) {
  if (!session_) return notices_.error("Open an image before loading a model for it.");
  std::shared_ptr<Session> session = session_;
  ++pending_loads_;
  background_.post([this, path, session] {
    try {
      io::Model m = io::load_model(path);
      const std::string what = m.config.describe();
      session->load(m.config, std::move(m.params));
      session->wait_idle();  // loaded once this job ends: the weights on screen are then the file's
      report(NoticeLevel::Info, "Loaded " + path + ": " + what + "; training continues from its weights.");
    } catch (const std::exception& e) {
      report(NoticeLevel::Error, "Could not load the model " + path + ": " + e.what());
    }
    --pending_loads_;
  });
}

}  // namespace siren::studio

namespace siren::studio {

void Experiment::export_field(const std::string& path, int field, int size) {
  if (!session_) return notices_.error("Nothing to export yet: no network is training.");
  const WeightsSnapshot snap = session_->snapshot();
  std::shared_ptr<Session> session = session_;
  const int channels = task_->out_dim();
  notices_.info("Exporting " + path + " (" + std::to_string(size) + "x" + std::to_string(size) + ")...");
  background_.post([this, path, field, size, snap, session, channels] {
    try {
      const io::Field f = io::Field(field);
      const std::vector<float> coords = pixel_grid(size, size);
      const FieldJets jets = session->evaluate(snap, coords.data(), size_t(size) * size, io::field_jet_mode(f));
      io::export_field(jets, size, size, channels, f, path);
      report(NoticeLevel::Info, "Exported " + path + " from the weights at step " + std::to_string(snap.step) + ".");
    } catch (const std::exception& e) {
      report(NoticeLevel::Error, "Could not export " + path + ": " + e.what());
    }
  });
}

}  // namespace siren::studio
