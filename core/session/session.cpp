#include "core/session/session.h"

#include <atomic>

#include <chrono>
#include <cmath>
#include <limits>

#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/util/error.h"

namespace siren {

namespace {
using Clock = std::chrono::steady_clock;
constexpr double kSnapshotSeconds = 0.1;  // views refresh up to ten times a second
constexpr double kRateWindowSeconds = 0.5;
}  // namespace

struct Session::Command {
  enum Kind { Reset, Load } kind;
  std::optional<SessionSettings> settings;
  NetworkConfig config;
  std::vector<float> params;
};

namespace {
uint64_t next_session_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}
}  // namespace

Session::Session(std::shared_ptr<const Task> task, const SessionSettings& settings)
    : id_(next_session_id()), task_(std::move(task)) {
  if (!task_) throw Error("no task to train");
  rebuild(settings, nullptr);
  thread_ = std::thread([this] { worker(); });
}

Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Session::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.state == SessionState::Failed) return;
  status_.state = SessionState::Running;
  cv_.notify_all();
}

void Session::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.state == SessionState::Running) status_.state = SessionState::Paused;
  steps_left_ = 0;
  cv_.notify_all();
}

void Session::step(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.state == SessionState::Failed) return;
  status_.state = SessionState::Paused;
  steps_left_ += n;
  cv_.notify_all();
}

void Session::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back({Command::Reset, std::nullopt, {}, {}});
  cv_.notify_all();
}

void Session::reset(const SessionSettings& settings) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back({Command::Reset, settings, {}, {}});
  cv_.notify_all();
}

void Session::load(const NetworkConfig& config, std::vector<float> params) {
  if (config.in_dim != task_->in_dim() || config.out_dim != task_->out_dim())
    throw Error("the model maps " + std::to_string(config.in_dim) + " -> " + std::to_string(config.out_dim) +
                " values; this " + task_->name() + " needs " + std::to_string(task_->in_dim()) + " -> " +
                std::to_string(task_->out_dim()));
  if (params.size() != config.num_parameters()) throw Error("the model's weights do not match its configuration");
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back({Command::Load, std::nullopt, config, std::move(params)});
  cv_.notify_all();
}

SessionStatus Session::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

SessionSettings Session::settings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return settings_;
}

std::vector<MetricSample> Session::history(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= history_.size()) return {};
  return {history_.begin() + long(from), history_.end()};
}

WeightsSnapshot Session::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

std::vector<SessionNotice> Session::take_notices() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SessionNotice> out;
  out.swap(notices_);
  return out;
}

FieldJets Session::evaluate(const WeightsSnapshot& snap, const float* coords, size_t n, JetMode mode) const {
  if (!snap.params) throw Error("no weights to evaluate");
  std::shared_ptr<Backend> backend;
  {
    std::lock_guard<std::mutex> lock(mu_);
    backend = backend_;
  }
  return backend->evaluate(snap.config, *snap.params, coords, n, mode);
}

void Session::wait_idle() const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_ && steps_left_ == 0; });
}

void Session::notice(SessionNoticeLevel level, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  notices_.push_back({level, std::move(text)});
}

void Session::rebuild(const SessionSettings& requested, const std::vector<float>* params) {
  SessionSettings s = requested;
  s.network.in_dim = task_->in_dim();
  s.network.out_dim = task_->out_dim();
  s.network.validate();
  std::shared_ptr<Backend> backend;
  std::string backend_notice;
  {
    std::lock_guard<std::mutex> lock(mu_);
    backend = backend_;
  }
  if (!backend || s.backend != settings_.backend || s.precision != settings_.precision) {
    BackendOptions options;
    options.precision = s.precision;
    backend = create_backend(s.backend, options, &backend_notice);
  }
  std::vector<float> weights = params ? *params : init_parameters(s.network, s.seed);
  // Build everything before touching the running state, so a failure leaves the old run intact.
  auto trainer = backend->make_trainer(s.network, std::move(weights), s.adam, task_->training_data(), s.batch, s.seed);
  trainer_ = std::move(trainer);
  guard_ = std::make_unique<DivergenceGuard>();
  guard_->start(*trainer_);
  std::lock_guard<std::mutex> lock(mu_);
  backend_ = std::move(backend);
  settings_ = s;
  // Asked for "auto": where it landed is news, not a problem.
  if (!backend_notice.empty()) notices_.push_back({SessionNoticeLevel::Info, backend_notice});
  const SessionState state = status_.state == SessionState::Running ? SessionState::Running : SessionState::Paused;
  const uint64_t generation = status_.generation + 1;
  status_ = SessionStatus{};
  status_.state = state;
  status_.generation = generation;
  status_.loss = std::numeric_limits<double>::quiet_NaN();
  status_.learning_rate = s.adam.lr;
  status_.backend = backend_->name();
  status_.device = backend_->device();
  history_.clear();
  steps_left_ = 0;
  publish_snapshot_locked(0);
}

void Session::publish_snapshot_locked(uint64_t step) {
  snapshot_.step = step;
  snapshot_.generation = status_.generation;
  snapshot_.config = trainer_->config();
  snapshot_.params = std::make_shared<const std::vector<float>>(trainer_->parameters());
}

void Session::train_one_step() {
  const StepStats stats = trainer_->step();
  std::string restored;
  try {
    if (guard_->after_step(*trainer_, stats)) restored = guard_->message();
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.state = SessionState::Failed;
    steps_left_ = 0;
    notices_.push_back({SessionNoticeLevel::Error, e.what()});
    publish_snapshot_locked(stats.step);  // the guard left the last good weights in place
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!restored.empty()) notices_.push_back({SessionNoticeLevel::Warning, restored + " (training continues)"});
  status_.learning_rate = trainer_->learning_rate();
  // A backend that reports losses late repeats its latest report until a newer one arrives: one
  // sample per reported step, so plots and rates do not count a step twice.
  if (!history_.empty() && stats.step <= history_.back().step) return;
  status_.step = stats.step;
  status_.loss = stats.loss;
  status_.psnr_db = task_->psnr_from_loss(stats.loss);
  MetricSample m;
  m.step = stats.step;
  m.loss = stats.loss;
  m.psnr_db = status_.psnr_db ? *status_.psnr_db : std::numeric_limits<double>::quiet_NaN();
  history_.push_back(m);
}

void Session::worker() {
  Clock::time_point run_start = Clock::now(), last_snapshot = run_start, rate_time = run_start;
  uint64_t rate_step = 0, last_generation = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] {
      return quit_ || !queue_.empty() || steps_left_ > 0 || status_.state == SessionState::Running;
    });
    if (quit_) return;
    if (!queue_.empty()) {
      Command cmd = std::move(queue_.front());
      queue_.erase(queue_.begin());
      busy_ = true;
      lock.unlock();
      try {
        if (cmd.kind == Command::Reset) {
          rebuild(cmd.settings ? *cmd.settings : settings(), nullptr);
        } else {
          SessionSettings s = settings();
          s.network = cmd.config;
          rebuild(s, &cmd.params);
        }
      } catch (const std::exception& e) {
        notice(SessionNoticeLevel::Error, std::string("could not apply the new settings, the previous run goes on: ") + e.what());
      }
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    if (status_.generation != last_generation) {
      last_generation = status_.generation;
      run_start = rate_time = Clock::now();
      rate_step = 0;
    }
    busy_ = true;
    lock.unlock();
    try {
      train_one_step();
    } catch (const std::exception& e) {
      // Out of memory, a backend failure: the run stops with its last weights, the program goes on.
      std::lock_guard<std::mutex> guard(mu_);
      status_.state = SessionState::Failed;
      notices_.push_back({SessionNoticeLevel::Error, std::string("training stopped: ") + e.what()});
    }
    const Clock::time_point now = Clock::now();
    lock.lock();
    busy_ = false;
    if (!history_.empty()) history_.back().seconds = std::chrono::duration<double>(now - run_start).count();
    const double since = std::chrono::duration<double>(now - rate_time).count();
    // A first estimate soon after a start, then one per window so the number stays readable.
    if (since >= kRateWindowSeconds || (status_.steps_per_second == 0 && since >= 0.05)) {
      status_.steps_per_second = double(status_.step - rate_step) / since;
      rate_step = status_.step;
      rate_time = now;
    }
    if (steps_left_ > 0) --steps_left_;
    const bool stopped = status_.state != SessionState::Running && steps_left_ == 0;
    if (stopped || std::chrono::duration<double>(now - last_snapshot).count() >= kSnapshotSeconds) {
      if (status_.state != SessionState::Failed) publish_snapshot_locked(status_.step);
      last_snapshot = now;
    }
    cv_.notify_all();
  }
}

}  // namespace siren
