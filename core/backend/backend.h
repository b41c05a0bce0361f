#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/network/jets.h"
#include "core/network/loss.h"
#include "core/network/network_config.h"
#include "core/optim/adam.h"

namespace siren {

// A task's training set, uploaded once to the backend that trains on it.
struct TrainingData {
  int in_dim = 2;
  int out_dim = 1;
  LossKind loss = LossKind::Value;
  size_t count = 0;
  std::vector<float> coords;   // count x in_dim
  std::vector<float> targets;  // count x target_width(loss, in_dim, out_dim)

  void validate() const;  // throws siren::Error on inconsistent sizes or non-finite values
};

struct StepStats {
  // The step this loss belongs to, counted from 1 over the trainer's life: set_parameters (a restore)
  // does not start it again. A backend may report a step's loss a few steps late (CUDA), and then
  // repeats its latest report until a newer one is in.
  uint64_t step = 0;
  double loss = 0;  // the step's loss before its update (NaN/Inf when training diverged)
};

// One network learning one TrainingData on one backend. Parameters and optimiser state live where
// the backend computes; parameters() copies them out for snapshots and saving.
class Trainer {
 public:
  virtual ~Trainer() = default;
  // One Adam step on a batch: all samples in order when the batch size is 0 or >= count, otherwise
  // that many drawn uniformly at random.
  virtual StepStats step() = 0;
  // The loss and its gradient at the current weights over ALL samples, without a step; for tests
  // that hold backends against each other and against finite differences.
  virtual double loss_and_gradient(std::vector<float>& grads) = 0;
  virtual std::vector<float> parameters() const = 0;
  // Replaces the weights (restoring a snapshot); Adam's moments are reset with them.
  virtual void set_parameters(const std::vector<float>& params) = 0;
  virtual void set_learning_rate(float lr) = 0;
  virtual float learning_rate() const = 0;
  virtual void set_batch_size(size_t batch) = 0;
  virtual const NetworkConfig& config() const = 0;
};

// The network's output and its exact input derivatives at n points.
struct FieldJets {
  std::vector<float> value;      // n x out_dim
  std::vector<float> gradient;   // n x out_dim x in_dim (Gradient and Laplacian modes)
  std::vector<float> laplacian;  // n x out_dim (Laplacian mode)
};

enum class BackendKind { Auto, Cpu, Cuda };
std::optional<BackendKind> parse_backend_kind(std::string_view name);

// Arithmetic of the GPU's large matrix products: FP32 (the default) or TF32 tensor cores (faster,
// about 1e-3 relative; the CUDA backend keeps the first and the last layer in FP32). Fp16: TF32's,
// and where the CUDA backend has 16-bit storage (the reverse path of a one-output SIREN: SDF fits
// and normals, one-channel gradient supervision) the hidden buffers in IEEE halves and their
// products on FP16 tensor cores with FP32 accumulation: the SDF step moves about half the bytes,
// with TF32's gradient error (bench/storage_precision.py; on an H200 the step 6.92 ms against
// TF32's 11.57). The CPU backend always computes in FP32 and ignores it.
enum class Precision { Fp32, Tf32, Fp16 };
std::optional<Precision> parse_precision(std::string_view name);  // "fp32", "tf32", "fp16"
const char* to_string(Precision p);

// Settings of a backend that are chosen once, with it.
struct BackendOptions {
  Precision precision = Precision::Fp32;
};

// Where networks are trained and evaluated (ggml-style: one interface, chosen at run time).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;    // "cpu", "cuda"
  virtual std::string device() const = 0;  // the hardware and library in words
  virtual std::unique_ptr<Trainer> make_trainer(const NetworkConfig& config, std::vector<float> params,
                                                const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
                                                size_t batch_size, uint64_t seed) = 0;
  // Any number of points in bounded memory (the backend works in chunks).
  virtual FieldJets evaluate(const NetworkConfig& config, const std::vector<float>& params, const float* coords,
                             size_t n, JetMode mode) = 0;
};

// Auto picks CUDA where a device is usable, else the CPU; `notice` then says why (one line).
// Cuda throws siren::Error naming the reason when CUDA cannot be used.
std::unique_ptr<Backend> create_backend(BackendKind kind, std::string* notice = nullptr);
std::unique_ptr<Backend> create_backend(BackendKind kind, const BackendOptions& options, std::string* notice = nullptr);

}  // namespace siren
