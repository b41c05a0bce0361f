#include "core/session/fit_loop.h"

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

DivergenceGuard::DivergenceGuard(uint64_t snapshot_every, int max_restores)
    : snapshot_every_(snapshot_every), max_restores_(max_restores) {}

bool DivergenceGuard::after_step(Trainer& trainer, const StepStats& stats) {
  if (std::isfinite(stats.loss)) {
    if (good_.empty() || stats.step - good_step_ >= snapshot_every_) {
      std::vector<float> p = trainer.parameters();
      if (all_finite(p)) {
        good_ = std::move(p);
        good_step_ = stats.step;
      }
    }
    return false;
  }
  const std::string what = std::isnan(stats.loss) ? "NaN" : "Inf";
  if (good_.empty())
    throw Error("training diverged at once (loss is " + what + " at step " + std::to_string(stats.step) +
                "); try a smaller --lr");
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
                std::isnan(stats.loss) ? "NaN" : "Inf", static_cast<unsigned long long>(stats.step),
                static_cast<unsigned long long>(good_step_), double(lr), double(lr) * 0.5);
  message_ = buf;
  return true;
}

FitResult run_fit(Trainer& trainer, uint64_t steps, const std::function<void(const FitProgress&)>& on_progress,
                  double progress_seconds, const std::atomic<bool>* cancel) {
  using clock = std::chrono::steady_clock;
  DivergenceGuard guard;
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
