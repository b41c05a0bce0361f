#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/backend/backend.h"
#include "core/session/fit_loop.h"
#include "core/tasks/task.h"

namespace siren {

// Everything that defines a training run. Changing any of it means a new run (Session::reset).
struct SessionSettings {
  NetworkConfig network;  // in_dim/out_dim are taken from the task
  AdamConfig adam;
  size_t batch = 0;  // 0: all samples every step
  BackendKind backend = BackendKind::Auto;
  Precision precision = Precision::Fp32;  // the GPU's products (BackendOptions); the CPU ignores it
  uint64_t seed = 0;
};

enum class SessionState { Paused, Running, Failed };

struct MetricSample {
  uint64_t step = 0;
  double seconds = 0;  // since the run (re)started
  double loss = 0;
  double psnr_db = 0;  // NaN where the task has none
};

struct SessionStatus {
  SessionState state = SessionState::Paused;
  uint64_t step = 0;
  uint64_t generation = 0;  // bumped by every reset: views compare it to drop stale results
  double loss = 0;
  std::optional<double> psnr_db;
  double steps_per_second = 0;
  float learning_rate = 0;
  std::string backend;  // "cpu", "cuda"
  std::string device;
};

// Something the run has to tell its user, with how much it matters: Info (the backend a request for
// "auto" landed on), Warning (weights restored after a divergence, training goes on), Error (the run
// stopped, or new settings could not be applied).
enum class SessionNoticeLevel { Info, Warning, Error };
struct SessionNotice {
  SessionNoticeLevel level = SessionNoticeLevel::Info;
  std::string text;
};

// The weights at one moment, shared read-only with whoever displays them.
struct WeightsSnapshot {
  uint64_t step = 0;
  uint64_t generation = 0;
  NetworkConfig config;
  std::shared_ptr<const std::vector<float>> params;
};

// A training run on its own thread (DESIGN.md section 1): the GUI sends commands and reads status,
// metrics and weight snapshots; it never waits for a training step. The divergence guard restores
// the last good weights and halves the learning rate on NaN/Inf, and says so through notices.
class Session {
 public:
  // Builds the backend and the first network; throws siren::Error if the settings are invalid.
  Session(std::shared_ptr<const Task> task, const SessionSettings& settings);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  void pause();
  void step(uint64_t n = 1);  // n steps, then paused
  // A new run: fresh weights from settings (the current ones if none given), history cleared.
  void reset();
  void reset(const SessionSettings& settings);
  // Continue from given weights (a loaded model); its config must fit the task.
  void load(const NetworkConfig& config, std::vector<float> params);

  SessionStatus status() const;
  SessionSettings settings() const;
  // Metric samples with index >= from (one per step; indexes restart at 0 on reset).
  std::vector<MetricSample> history(size_t from = 0) const;
  WeightsSnapshot snapshot() const;
  // Messages for the user since the last call: restorations, failures, backend fallbacks.
  std::vector<SessionNotice> take_notices();
  // Evaluates a snapshot on the session's backend; safe from any thread, concurrently with training.
  FieldJets evaluate(const WeightsSnapshot& snap, const float* coords, size_t n, JetMode mode) const;
  // Unique among the sessions of this process (never reused, unlike an address): what views compare
  // to tell a new run from the one they show.
  uint64_t id() const { return id_; }
  const Task& task() const { return *task_; }
  std::shared_ptr<const Task> task_ptr() const { return task_; }
  // Blocks until the worker has finished every command sent so far (for tests and --screenshot).
  void wait_idle() const;

 private:
  struct Command;
  void worker();
  // Worker thread only (and the constructor, before the worker starts).
  void rebuild(const SessionSettings& settings, const std::vector<float>* params);
  void train_one_step();
  void publish_snapshot_locked(uint64_t step);
  void notice(SessionNoticeLevel level, std::string text);

  const uint64_t id_;
  std::shared_ptr<const Task> task_;
  // Replaced on a reset that changes the backend; readers copy the pointer under mu_, so a backend
  // stays alive while a view evaluates on it. Backend::evaluate is stateless and thread-safe.
  std::shared_ptr<Backend> backend_;
  std::unique_ptr<Trainer> trainer_;  // worker thread only, after construction
  std::unique_ptr<DivergenceGuard> guard_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Command> queue_;
  bool busy_ = false;
  bool quit_ = false;
  uint64_t steps_left_ = 0;  // pending single steps
  SessionSettings settings_;
  SessionStatus status_;
  std::vector<MetricSample> history_;
  WeightsSnapshot snapshot_;
  std::vector<SessionNotice> notices_;
  std::thread thread_;
};

}  // namespace siren
