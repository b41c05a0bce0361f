#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/backend/backend.h"

namespace siren {

// Keeps the last weights known to be good and puts them back when a step's loss is NaN or Inf
// (a learning rate too high), halving the learning rate each time, so a run never ends in garbage.
class DivergenceGuard {
 public:
  explicit DivergenceGuard(uint64_t snapshot_every = 25, int max_restores = 8);
  // Call after each step. Returns true when it restored a snapshot (message() says what happened);
  // throws siren::Error when the run keeps diverging at ever smaller learning rates.
  bool after_step(Trainer& trainer, const StepStats& stats);
  int restores() const { return restores_; }
  const std::string& message() const { return message_; }

 private:
  uint64_t snapshot_every_;
  int max_restores_;
  int restores_ = 0;
  std::vector<float> good_;
  uint64_t good_step_ = 0;
  std::string message_;
};

struct FitProgress {
  uint64_t step = 0, total = 0;
  double loss = 0;
  double seconds = 0;
  double steps_per_second = 0;
  std::string notice;  // set once when the guard restored weights
};

struct FitResult {
  uint64_t steps = 0;
  double seconds = 0;
  double final_loss = 0;  // the last step's training loss
  int restores = 0;
};

// Runs `steps` training steps synchronously, calling on_progress about every `progress_seconds`
// and on the last step. `cancel`, when set, stops the loop early.
FitResult run_fit(Trainer& trainer, uint64_t steps, const std::function<void(const FitProgress&)>& on_progress,
                  double progress_seconds = 0.1, const std::atomic<bool>* cancel = nullptr);

}  // namespace siren
