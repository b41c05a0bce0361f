#include "core/session/fit_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/util/error.h"

namespace siren {

namespace {
bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}
}  // namespace

DivergenceGuard::DivergenceGuard(uint64_t snapshot_every, int max_restores, uint64_t confirm_after)
    : snapshot_every_(std::max<uint64_t>(snapshot_every, 1)),
      confirm_after_(std::max<uint64_t>(confirm_after, 1)),
      max_restores_(max_restores) {}

void DivergenceGuard::start(const Trainer& trainer) {
  std::vector<float> p = trainer.parameters();
  if (all_finite(p)) {
    good_ = std::move(p);
    good_step_ = 0;
  }
}

bool DivergenceGuard::after_step(Trainer& trainer, const StepStats& stats) {
  ++calls_;
  // A report of a step queued before the last restore, finite or not, says nothing about the weights
  // put back: it neither confirms nor starts a candidate, nor counts as a new divergence.
  if (stats.step <= ignore_until_) return false;
  if (std::isfinite(stats.loss)) {
    if (!candidate_.empty() && stats.step >= candidate_step_ + confirm_after_) {
      good_ = std::move(candidate_);
      good_step_ = candidate_step_;
      candidate_.clear();
    }
    const uint64_t last = std::max(good_step_, candidate_step_);
    if (candidate_.empty() && (good_.empty() || stats.step >= last + snapshot_every_)) {
      std::vector<float> p = trainer.parameters();
      if (all_finite(p)) {
        candidate_ = std::move(p);
        candidate_step_ = stats.step;
      }
    }
    return false;
  }
  const std::string what = std::isnan(stats.loss) ? "NaN" : "Inf";
  // Without weights to go back to, or with only the starting ones and their own loss not finite.
  if (good_.empty() || (good_step_ == 0 && stats.step <= 1))
    throw Error("training diverged at once (loss is " + what + " at step " + std::to_string(stats.step) +
                "); try a smaller --lr");
  candidate_.clear();
  // Every step asked for so far was queued before the weights go back; a late report of one of them
  // is not news. (Counted by calls: the guard starts with the trainer, one call per step.)
  ignore_until_ = std::max(stats.step, calls_);
  if (++restores_ > max_restores_) {
    // Even when giving up, leave the last good weights in place so they can still be saved.
    trainer.set_parameters(good_);
    throw Error("training diverged (loss is " + what + ") and did not recover after " + std::to_string(max_restores_) +
                " restarts at ever lower learning rates; try a smaller --lr");
  }
  const float lr = trainer.learning_rate();
  trainer.set_parameters(good_);
  trainer.set_learning_rate(lr * 0.5f);
  char buf[200];
  std::snprintf(buf, sizeof buf, "loss became %s at step %llu: restored the weights of step %llu, learning rate %g -> %g",
                what.c_str(), static_cast<unsigned long long>(stats.step),
                static_cast<unsigned long long>(good_step_), double(lr), double(lr) * 0.5);
  message_ = buf;
  return true;
}

FitResult run_fit(Trainer& trainer, uint64_t steps, const std::function<void(const FitProgress&)>& on_progress,
                  double progress_seconds, const std::atomic<bool>* cancel) {
  using clock = std::chrono::steady_clock;
  DivergenceGuard guard;
  guard.start(trainer);
  FitResult result;
  const auto start = clock::now();
  auto last_report = start;
  for (uint64_t i = 0; i < steps; ++i) {
    if (cancel && cancel->load()) break;
    const StepStats stats = trainer.step();
    const bool restored = guard.after_step(trainer, stats);
    result.steps = i + 1;
    result.final_loss = stats.loss;
    const auto now = clock::now();
    if (on_progress && (restored || i + 1 == steps ||
                        std::chrono::duration<double>(now - last_report).count() >= progress_seconds)) {
      FitProgress p;
      p.step = i + 1;
      p.total = steps;
      p.loss = stats.loss;
      p.seconds = std::chrono::duration<double>(now - start).count();
      p.steps_per_second = p.seconds > 0 ? double(i + 1) / p.seconds : 0;
      if (restored) p.notice = guard.message();
      on_progress(p);
      last_report = now;
    }
  }
  result.seconds = std::chrono::duration<double>(clock::now() - start).count();
  result.restores = guard.restores();
  return result;
}

}  // namespace siren
