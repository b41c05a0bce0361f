#pragma once
#include <map>
#include <string>
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
  uint64_t session_id_ = 0;  // Session::id() of the run shown
  uint64_t generation_ = ~uint64_t(0);
  double refreshed_ = -1e9;
  std::vector<float> steps_, loss_, psnr_;
};

// Figures that come with the views' evaluations (FieldImages::metrics) rather than with every
// training step, one curve per name over the steps they were measured at.
class MetricSeries {
 public:
  // Adds the figures of an evaluation of this run; a new run (generation) starts the curves afresh.
  void add(uint64_t generation, uint64_t step, const std::map<std::string, double>& metrics);
  const std::vector<float>& steps(const std::string& name) const;
  const std::vector<float>& values(const std::string& name) const;
  // The latest value, or NaN.
  double last(const std::string& name) const;

 private:
  uint64_t generation_ = ~uint64_t(0);
  std::map<std::string, std::pair<std::vector<float>, std::vector<float>>> series_;
};

// Loss (log scale) and PSNR over the steps of one run, each across the available width.
void draw_loss_plot(const MetricHistory& h, float height);
void draw_psnr_plot(const MetricHistory& h, float height);

}  // namespace siren::studio
