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
//
// "Known to be good" means a finite loss was seen at those weights or later: a copy of the weights
// is only a candidate until a finite loss arrives for a step at least `confirm_after` steps after it
// was taken. The loss of a step is computed at the weights from before its update, and a backend may
// report losses a few steps late (CUDA), so weights that are finite but already poisoned (their loss
// overflows) would otherwise be kept and put back again and again.
class DivergenceGuard {
 public:
  explicit DivergenceGuard(uint64_t snapshot_every = 25, int max_restores = 8, uint64_t confirm_after = 8);
  // The weights the run starts from, with a trainer that has not stepped yet: the fallback until a
  // candidate is confirmed (a first loss that is not finite means even these fail: an error).
  void start(const Trainer& trainer);
  // Call after each step. Returns true when it restored weights (message() says what happened);
  // throws siren::Error when the run keeps diverging at ever smaller learning rates.
  bool after_step(Trainer& trainer, const StepStats& stats);
  int restores() const { return restores_; }
  const std::string& message() const { return message_; }

 private:
  uint64_t snapshot_every_, confirm_after_;
  int max_restores_;
  int restores_ = 0;
  std::vector<float> good_, candidate_;
  uint64_t good_step_ = 0, candidate_step_ = 0;
  // Reports up to this step were queued before the last restore and say nothing about the weights
  // put back (a backend with late losses still delivers them).
  uint64_t ignore_until_ = 0;
  uint64_t calls_ = 0;
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
