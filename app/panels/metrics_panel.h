#pragma once
#include <vector>

#include "core/session/session.h"

namespace siren::studio {

// A run's metric history, copied incrementally from its Session (only the new samples each frame).
class MetricHistory {
 public:
  // New samples at most every kLiveRefreshSeconds (and at once for a new run).
  void update(const Session& session);
  const std::vector<float>& steps() const { return steps_; }
  const std::vector<float>& loss() const { return loss_; }
  const std::vector<float>& psnr() const { return psnr_; }

 private:
  const Session* session_ = nullptr;
  uint64_t generation_ = ~uint64_t(0);
  double refreshed_ = -1e9;
  std::vector<float> steps_, loss_, psnr_;
};

// Loss (log scale) and PSNR over the steps of one run, each across the available width.
void draw_loss_plot(const MetricHistory& h, float height);
void draw_psnr_plot(const MetricHistory& h, float height);

}  // namespace siren::studio
