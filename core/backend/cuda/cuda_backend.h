#pragma once
// The CUDA backend: the network, its jets, the losses, Adam and the batch sampling as CUDA kernels
// and cuBLAS GEMMs, with the parameters, Adam's moments and the training data resident on the GPU.
// This header includes no CUDA header: anything may include it.
//
// Training steps are asynchronous. step() queues the whole step (sampling, forward, loss, backward,
// Adam; replayed from a CUDA graph after the first) on the trainer's stream and returns without
// waiting for the GPU; the loss is copied back into a small pinned ring buffer, and step() returns
// the newest loss that has arrived with the step it belongs to: StepStats::step may lag the steps
// taken by up to kMaxLossLag (the first step after a start or set_parameters() waits, so a loss is
// always there). synchronize() waits for all queued steps and returns the last one's exact stats.
// StepStats::step counts the steps over the trainer's life, as the CPU backend's: set_parameters()
// restarts Adam's own step count (its bias correction), not this number.
// parameters(), loss_and_gradient(), set_parameters() and set_learning_rate() wait for the queued
// steps first.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/backend/backend.h"

namespace siren::cuda {

// The most steps step()'s loss may lag behind the steps queued (the GPU then has that many steps of
// work in its queue and never waits for the host).
constexpr int kMaxLossLag = 3;

struct CudaOptions {
  Precision precision = Precision::Fp32;
  // Capture the training step in a CUDA graph and replay it (falls back to plain launches when
  // capture fails).
  bool graphs = true;
  // Device memory for a trainer's activations; 0: a quarter of the free memory, between 256 MiB and
  // 8 GiB. Batches larger than fit are processed in chunks (same result). When an allocation fails
  // the trainer retries with half as much, down to a few hundred samples per chunk.
  size_t workspace_bytes = 0;
  // A training step's samples per chunk at most (0: as many as the workspace holds). Smaller chunks
  // may keep what one operation writes in the L2 cache for the next one that reads it (a 16,384-sample
  // chunk's 256-wide buffer is 16 MiB; an H100's L2 is 50 MB), at the cost of more launches per
  // step; siren_bench_cuda --sdf-chunk-samples measures where that pays: on an H200 at no cap tried
  // (8,192-65,536 samples: 0.46-0.99x the SDF step's speed). The same gradient up to the order of
  // float sums.
  size_t max_chunk_samples = 0;
  int device = 0;
  // Value and input gradient of one-output networks (SDF training and normals, one-channel gradient
  // supervision; steps and evaluate() alike) by reverse mode (DeviceMlp's reverse path): half the
  // GEMM work of gradient jets, an SDF step 1.73x (FP32) and 1.50x (TF32) faster on an H200;
  // false: gradient jets.
  bool reverse_mode_gradient = true;
  // On that path, the first layer (on raw coordinates) and the one-wide output layer fused into the
  // sweeps' elementwise kernels and per-sample sums (DeviceMlp's fused_ends): for an SDF network no
  // cuBLAS GEMM with a dimension of 1-3 (eight per chunk) and fourteen fewer passes over a samples x
  // width buffer, three of them the output layer's turn (with a positional encoding the output
  // layer's only). The SDF step on an H200, before the turn: 13.82 -> 12.10 ms in TF32, 28.62 ->
  // 26.89 in FP32 (bench/RESULTS.md); false: unfused.
  bool reverse_fused_ends = true;
  // Value passes on the jets path (plain fitting, evaluate()'s views) with the output layer beside
  // the last hidden layer's activation (DeviceMlp's fused_ends there: no output GEMMs, no h of that
  // layer), for networks of 1-4 outputs and a hidden layer with a stored z. On an H200 (65,536
  // points, bench/RESULTS.md) the plain step 1.08 -> 1.03 ms in TF32 and 2.33 -> 2.27 in FP32, and a
  // 256x256 view's evaluate 0.76 -> 0.74 ms; false: the output layer as GEMMs (siren_bench_cuda's
  // plain-unfused row).
  bool fused_value_output = true;
  // Each weight gradient's product over the samples as this many products over slices of them,
  // summed in a fixed order (DeviceMlp's weight_grad_slices; 0: one product). The same gradient up
  // to the order of float sums. An experiment: the weight-gradient GEMMs ran at 66% of the copy rate
  // on an H200, the others at 90%; siren_bench_cuda --weight-grad-slices measures whether
  // slicing pays.
  int weight_grad_slices = 0;
  // The reverse path's hidden buffers in IEEE halves and its hidden GEMMs on FP16 tensor cores with
  // FP32 accumulation (DeviceMlp's half_storage; one-output SIRENs, with fused ends): the SDF step
  // moves about half the bytes, with TF32's mantissa and, in bench/storage_precision.py, the same
  // gradient error. evaluate()'s passes on that path (SDF views, normals) store halves too. On an
  // H200 (bench/RESULTS.md): the SDF step 6.92 ms against TF32's 11.57. Precision::Fp16 turns it on
  // (with TF32 elsewhere); this flag turns it on under any precision, and where it applies the
  // arithmetic is the same either way (no TF32 product is left on that path). siren_bench_cuda's
  // sdf-half row. Not with weight_grad_slices. A step whose gradient overflows FP16 is skipped and the
  // scale halves for the steps after it (dynamic loss scaling's back-off; it does not grow back).
  bool half_storage = false;
  // Half storage's starting adjoint scale, 2^this times the default (the checks start it high to
  // see the back-off work).
  int half_scale_shift = 0;
  // Time every kernel and GEMM of the training step (op_profile()); steps then run as plain launches
  // with an event after each, never as a CUDA graph. For the benchmarks.
  bool profile_ops = false;
};

// Whether a pass in this jet mode takes DeviceMlp's reverse path under these options (training
// steps and evaluate() alike).
bool uses_reverse_gradient(const CudaOptions& options, const NetworkConfig& config, JetMode mode);
// The GEMM FLOPs of a training step over `samples` in this jet mode under these options (the
// formulation that runs: the reverse path does half the jets' work), which the benchmarks hold
// against the GPU's matrix rate. The fused ends' products, done outside cuBLAS, still count:
// they are 3/256 of a hidden layer's.
double train_gemm_flops(const CudaOptions& options, const NetworkConfig& config, JetMode mode, size_t samples);

struct Availability {
  bool usable = false;
  std::string reason;  // why not, in one line (for the CPU fallback's notice)
  std::string device;  // the GPU in words, when usable
};

// Whether the CUDA backend can run here: a driver and a device (every cudaGetDeviceCount error is
// caught: 35 insufficient driver, 100 no device, 34 stub library, ...), compute capability 7.5+,
// kernels in this program for the GPU, and cuBLAS. Never throws.
Availability probe(int device = 0);

class CudaBackend final : public Backend {
 public:
  // Throws siren::Error with probe()'s reason where CUDA cannot be used.
  explicit CudaBackend(const CudaOptions& options = {});
  ~CudaBackend() override;
  std::string name() const override { return "cuda"; }
  std::string device() const override;
  std::unique_ptr<Trainer> make_trainer(const NetworkConfig& config, std::vector<float> params,
                                        const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
                                        size_t batch_size, uint64_t seed) override;
  // On the GPU in chunks of bounded memory; thread-safe (one evaluation at a time per backend, on its
  // own stream, concurrently with training).
  FieldJets evaluate(const NetworkConfig& config, const std::vector<float>& params, const float* coords, size_t n,
                     JetMode mode) override;
  const CudaOptions& options() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Waits for the steps queued on a trainer made by a CudaBackend and returns the exact stats of the
// last one. Throws siren::Error for any other trainer.
StepStats synchronize(Trainer& trainer);

// One operation's share of the profiled steps (CudaOptions::profile_ops).
struct OpTime {
  std::string op;  // the kernel's name, or "GEMM m x n x k" with transposes and precision
  long calls = 0;
  double ms = 0;   // summed over the calls
};
// The operations of the steps a trainer (made with profile_ops) took since the last call, in the
// order they first ran; waits for the queued steps. Throws siren::Error for any other trainer.
std::vector<OpTime> op_profile(Trainer& trainer);

// Whether a trainer captured its step in a CUDA graph (for tests and benchmarks).
bool uses_graph(const Trainer& trainer);
// Whether a trainer's hidden buffers are IEEE halves (CudaOptions::half_storage or Precision::Fp16,
// where its network and loss take the fused reverse path); false for any other trainer.
bool uses_half_storage(const Trainer& trainer);
// Half storage's loss scaling as of the reports read so far: the adjoints' scale (2^shift times the
// default) and the steps skipped for a gradient that overflowed. Throws for a non-CUDA trainer.
struct HalfScaling {
  int shift = 0;
  unsigned long long skipped = 0;
};
HalfScaling half_scaling(const Trainer& trainer);
// The samples per chunk of a trainer's steps (CudaOptions::max_chunk_samples, the workspace); 0
// before its first batch. Throws siren::Error for any other trainer.
size_t chunk_capacity(const Trainer& trainer);

// The cuBLAS matrix rate of this GPU: FLOP/s of an n x n x n FP32 (or TF32) GEMM, the best of a few
// runs. For the benchmarks' "fraction of the floor".
double measure_gemm_flops(bool tf32, int n = 8192, int device = 0);
// Milliseconds of one cuBLAS GEMM C (m x n) = op(A) (m x k) * B (k x n), column-major, A's storage
// a_offset floats past a 256-byte boundary; the best of a few runs. For comparing the layouts one
// product can take (siren_bench_cuda --profile).
double time_gemm(int m, int n, int k, bool trans_a, size_t a_offset, bool tf32, int device = 0);
// The memory's rate: bytes read plus written per second by a device-to-device copy of `bytes`, the
// best of a few runs. The floor of the elementwise kernels.
double measure_copy_bandwidth(size_t bytes = size_t(1) << 30, int device = 0);

}  // namespace siren::cuda
