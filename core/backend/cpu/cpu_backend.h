#pragma once
#include "core/backend/backend.h"

namespace siren::cpu {

// All cores through OpenMP, one chunk of samples per thread at a time (forward, loss, backward on
// data that stays in cache), single-threaded BLAS GEMMs inside; per-thread gradients are summed
// before Adam.
struct CpuOptions {
  // Value and input gradient of one-output networks (SDFs, one-channel gradient supervision; and
  // evaluate() in Gradient mode: SDF normals and metrics) by reverse mode (mlp_reverse_gradient.h)
  // rather than gradient jets: the same numbers for less work. Off only to compare the two.
  bool reverse_mode_gradient = true;
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuOptions options = {});
  std::string name() const override { return "cpu"; }
  std::string device() const override;
  std::unique_ptr<Trainer> make_trainer(const NetworkConfig& config, std::vector<float> params,
                                        const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
                                        size_t batch_size, uint64_t seed) override;
  FieldJets evaluate(const NetworkConfig& config, const std::vector<float>& params, const float* coords, size_t n,
                     JetMode mode) override;

 private:
  CpuOptions options_;
};

// Whether work in this jet mode on this network takes the reverse-mode input gradient: the value
// and first derivatives (a trainer's loss_jet_mode, or evaluate()'s mode) of a network with one output.
bool uses_reverse_gradient(const NetworkConfig& config, JetMode mode, const CpuOptions& options);

// Samples per chunk: about 1024 GEMM rows. Single-threaded sgemm is near its peak there already and
// a layer's jets (1 MiB at width 256) stay in L2 between the GEMM and the elementwise pass. On the
// reference network 768-4096 rows timed alike (within noise), 512 and 8192 a few percent slower.
size_t chunk_samples(JetMode mode, int in_dim);
int cpu_threads();

}  // namespace siren::cpu
