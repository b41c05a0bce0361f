#pragma once
// The CUDA side of the backend: the JetExec that runs DeviceMlp's operations as kernels and cuBLAS
// GEMMs on one stream, and the launches of the trainer's own kernels (sampling, Adam, loss
// readback). Host code; the kernels are in cuda_exec.cu.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/backend/cuda/cublas_loader.h"
#include "core/backend/cuda/device_mlp.h"
#include "core/util/error.h"

namespace siren::cuda {

// Throws siren::Error("CUDA: <what> failed: <name> (<code>): <text>") unless err is cudaSuccess;
// out-of-memory errors are thrown as OutOfDeviceMemory.
void check_cuda(cudaError_t err, const char* what);

// Device memory ran out; callers that can work in smaller pieces catch it and retry.
struct OutOfDeviceMemory : Error {
  using Error::Error;
};

// Device-side counters of a trainer (one struct in device memory).
struct StepCounters {
  unsigned long long t = 0;      // Adam's step (reset with the parameters)
  unsigned long long draws = 0;  // batches drawn = steps over the trainer's life (never reset: the
                                 // sampler's counter and StepStats::step)
  unsigned long long overflows = 0;  // steps skipped for a gradient that was not finite (never reset)
};
// What a step reports back to the host: its step, its loss, and the skipped steps so far.
struct StepReport {
  unsigned long long step = 0;
  double loss = 0;
  unsigned long long overflows = 0;
};

class OpProfiler;

class CudaExec final : public JetExec {
 public:
  // GEMMs with GemmCall::tf32_ok run on TF32 tensor cores (DeviceMlp sets it on its TF32 path).
  CudaExec(cudaStream_t stream, const Cublas& blas, cublasHandle_t handle, int sm_count);

  // Device scratch for the reductions, in floats and doubles, for networks of this shape; the owner
  // allocates it and hands it over with set_scratch before the first operation.
  static size_t scratch_floats(const NetworkConfig& cfg, int sm_count);
  static size_t scratch_doubles();
  void set_scratch(float* floats, double* doubles) {
    partials_ = floats;
    loss_partials_ = doubles;
  }

  void gemm(const GemmCall& g) override;
  void encode(JetMode mode, const Encode& a) override;
  void first_forward(JetMode mode, const FirstLayer& a) override;
  void first_backward(JetMode mode, const FirstLayer& a, const ReduceTarget& t) override;
  void act_forward(JetMode mode, const ActForward& a) override;
  void act_backward(JetMode mode, const ActBackward& a, float* bias_grad) override;
  void add_value_bias(float* out, const float* b, size_t n, int rows, int c) override;
  void value_row_sums(const float* m, size_t n, int rows, int w, float* dst) override;
  void add_slices(const float* parts, int count, size_t len, float* dst) override;
  void loss(const LossArgs& a, double* loss_sum) override;
  void rev_delta(const RevLayer& a) override;
  void rev_up(const RevLayer& a, const ReduceTarget& t) override;
  void rev_down(const RevLayer& a, const ReduceTarget& t) override;
  void rev_turn(const RevLayer& a, const ReduceTarget& t) override;
  void rev_phi(const RevLayer& a, const float* out_bias, float* out) override;
  void rev_grad_phi(const RevLayer& a, float* out) override;
  void out_forward(const OutLayer& a) override;
  void out_backward(const OutLayer& a, const ReduceTarget& t) override;
  void rev_input_gradient(const RevInput& a) override;
  void rev_direction(const RevInput& a) override;

  void round_copy(const float* src, float* dst, size_t n, bool half) override;
  void round_transpose(const float* src, int rows, int cols, float* dst, bool half) override;

  // The trainer's kernels.
  // idx[i] = uniform sample of [0, count) for i < n, from (seed, counters->draws, i).
  void sample(uint32_t* idx, size_t n, uint64_t count, uint64_t seed, const StepCounters* counters);
  // Sum of squares of g[0..n) into the scratch (read by adam_prepare); returns the partial count.
  int grad_sqnorm(const float* g, size_t n);
  // One thread block: t += 1, draws += 1, the step's Adam scalars (and the clipping scale from
  // norm_partials partial sums of squares in the scratch, when norm_partials > 0).
  // check_finite: skip a step whose gradient is not finite (adam_step_scalars; needs the norm).
  void adam_prepare(const AdamHyper* hyper, StepCounters* counters, int norm_partials, AdamScalars* scalars,
                    bool check_finite);
  void adam(const AdamHyper* hyper, const AdamScalars* scalars, float* params, float* m, float* v, const float* grads,
            size_t n);
  // report = {counters->draws (the steps over the trainer's life), *loss_sum * factor}; *loss_sum = 0.
  void finish_step(const StepCounters* counters, double* loss_sum, double factor, StepReport* report);
  // An SDF step's batch (jet_kernels.h's SdfBatch), its off-surface points from counters->draws.
  void sdf_batch(const SdfBatch& a, const StepCounters* counters);
  void extract(const Extract& a);

  cudaStream_t stream() const { return stream_; }
  // Marks every launch from now on (null: none). Not while a CUDA graph is being captured.
  void set_profiler(OpProfiler* p) { profiler_ = p; }

 private:
  // Checks the launch just made; marks it for the profiler, if any.
  void launched(const char* what) const;
  // rev_delta, rev_up, rev_down and rev_turn: the kernel of that operation (and the reduction of its sums into
  // t), named `what`, or `fused_what` where the layer fuses an end.
  template <RevOp OP>
  void rev_sweep(const RevLayer& a, const ReduceTarget& t, const char* what, const char* fused_what = nullptr);
  // t's quantities += the sums over `blocks` of the scratch's partials [block][quantity][feature],
  // features < w (reduce_partials_kernel), named `what`; and the same for one quantity into dst.
  void reduce_partials(int blocks, int w, const ReduceTarget& t, const char* what);
  void reduce_feature_partials(int blocks, int w, float* dst, const char* what);

  cudaStream_t stream_;
  const Cublas& blas_;
  cublasHandle_t handle_;
  int sm_count_;
  float* partials_ = nullptr;
  double* loss_partials_ = nullptr;
  OpProfiler* profiler_ = nullptr;
};

// Whether this program holds kernels the current device can run (an architecture it was built
// for, or PTX the driver can compile); the reason otherwise.
bool kernels_loadable(std::string* why);

}  // namespace siren::cuda
