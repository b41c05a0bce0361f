#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backend/backend.h"

namespace siren {

struct Metrics {
  double loss = 0;                // the task's loss on all of its data
  std::optional<double> psnr_db;  // where the task has a reference signal
  std::map<std::string, double> extra;  // task-specific figures for reports, e.g. "gradient_psnr_db"
};

// One experiment of the paper: owns its data and says what the network learns and how well it did.
class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual int in_dim() const = 0;
  virtual int out_dim() const = 0;
  virtual std::shared_ptr<const TrainingData> training_data() const = 0;
  // Full evaluation of a network on the task's data (slower than a training step).
  virtual Metrics evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const = 0;
  // Global gradient-norm clipping the task's reference uses (0: none).
  virtual float gradient_clip() const { return 0.0f; }
  // A cheap PSNR estimate from a training loss, for progress displays; nullopt where none exists.
  virtual std::optional<double> psnr_from_loss(double /*loss*/) const { return std::nullopt; }
  // Settings stored with a saved model (task name, data size, ...).
  virtual std::map<std::string, std::string> model_info() const = 0;
};

// Coordinates of an h x w pixel grid, row-major, (row, col) each in [-1, 1] with the end pixels
// exactly at -1 and +1 (the reference's get_mgrid).
std::vector<float> pixel_grid(int height, int width);

// PSNR of predictions in [-1, 1] against truth in [0, 1], on clip(pred / 2 + 0.5, 0, 1), range 1.
// Both: 100 dB for an exact match, NaN where a prediction is NaN (a diverged network).
double psnr_db(const float* pred, const float* truth01, size_t n);

// PSNR of a signed field against its truth, with the truth's max - min as the data range.
double field_psnr_db(const float* pred, const float* truth, size_t n);

// What derivative supervision cannot see, removed by least squares against the truth, per channel:
// a constant (linear = false) or a constant plus a linear ramp in the coordinates (linear = true).
// values and truth are n x channels; coords n x 2. Returns the adjusted values.
std::vector<float> remove_unobservable(const std::vector<float>& values, const std::vector<float>& truth,
                                       const std::vector<float>& coords, int channels, bool linear);

}  // namespace siren
