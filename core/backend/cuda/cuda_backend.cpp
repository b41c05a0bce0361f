#include "core/backend/cuda/cuda_backend.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

#include "core/backend/cuda/cublas_loader.h"
#include "core/backend/cuda/cuda_exec.h"
#include "core/backend/cuda/device_mlp.h"
#include "core/backend/cuda/op_profiler.h"
#include "core/util/error.h"

namespace siren::cuda {

namespace {

constexpr size_t kMiB = size_t(1) << 20;
constexpr size_t kCublasWorkspace = 32 * kMiB;  // cuBLAS's recommendation for Hopper; no allocation inside a graph
constexpr size_t kMinChunkSamples = 256;        // the OOM retries stop here
constexpr int kRing = 8;                        // loss readback slots; > kMaxLossLag + 1
constexpr int kMinHalfScaleShift = -12;         // half storage's lowest adjoint scale: 2^-12 the default
static_assert(kRing > kMaxLossLag + 1, "the ring must hold every step in flight");

std::string mib(size_t bytes) { return std::to_string((bytes + kMiB / 2) / kMiB) + " MiB"; }

std::string free_memory_text() {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    (void)cudaGetLastError();
    return "free memory unknown";
  }
  return mib(free_b) + " free of " + mib(total_b);
}

// ------------------------------------------------------------------------ RAII wrappers

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~DeviceArray() { reset(); }

  // Throws OutOfDeviceMemory (with what was asked for and what is free) when the GPU is full.
  void allocate(size_t n, const char* what) {
    reset();
    if (n == 0) return;
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, n * sizeof(T));
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      throw OutOfDeviceMemory("out of GPU memory: " + std::string(what) + " needs " + mib(n * sizeof(T)) + " (" +
                              free_memory_text() + ")");
    }
    check_cuda(err, what);
    ptr_ = static_cast<T*>(p);
    n_ = n;
  }
  void reset() {
    if (ptr_) (void)cudaFree(ptr_);  // no throwing from destructors; cudaFree waits for the device
    ptr_ = nullptr;
    n_ = 0;
  }
  T* get() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

template <typename T>
class PinnedArray {
 public:
  PinnedArray() = default;
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;
  ~PinnedArray() {
    if (ptr_) (void)cudaFreeHost(ptr_);
  }
  void allocate(size_t n, const char* what) {
    void* p = nullptr;
    check_cuda(cudaHostAlloc(&p, n * sizeof(T), cudaHostAllocDefault), what);
    ptr_ = static_cast<T*>(p);
    std::memset(p, 0, n * sizeof(T));
  }
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
};

class Stream {
 public:
  Stream() { check_cuda(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "creating a stream"); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_) (void)cudaStreamDestroy(s_);
  }
  cudaStream_t get() const { return s_; }
  void sync() const { check_cuda(cudaStreamSynchronize(s_), "waiting for the GPU"); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  explicit Event(bool timing = false) {
    check_cuda(cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming), "creating an event");
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (e_) (void)cudaEventDestroy(e_);
  }
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// A cuBLAS handle bound to one stream, with its own workspace (so that GEMMs allocate nothing, as
// CUDA graph capture needs).
class BlasHandle {
 public:
  BlasHandle(const Cublas& api, cudaStream_t stream) : api_(api) {
    check_cublas(api_, api_.create(&h_), "creating a handle");
    workspace_.allocate(kCublasWorkspace, "the cuBLAS workspace");
    check_cublas(api_, api_.set_stream(h_, stream), "binding the stream");
    check_cublas(api_, api_.set_workspace(h_, workspace_.get(), kCublasWorkspace), "setting the workspace");
    check_cublas(api_, api_.set_math_mode(h_, CUBLAS_DEFAULT_MATH), "setting the math mode");
  }
  BlasHandle(const BlasHandle&) = delete;
  BlasHandle& operator=(const BlasHandle&) = delete;
  ~BlasHandle() {
    if (h_) (void)api_.destroy(h_);
  }
  cublasHandle_t get() const { return h_; }

 private:
  const Cublas& api_;
  cublasHandle_t h_ = nullptr;
  DeviceArray<unsigned char> workspace_;
};

void upload(void* dst, const void* src, size_t bytes, cudaStream_t stream, const char* what) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream), what);
}
void download(void* dst, const void* src, size_t bytes, cudaStream_t stream, const char* what) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream), what);
}

void use_device(int device) { check_cuda(cudaSetDevice(device), "selecting the GPU"); }

// ------------------------------------------------------------------------------- device

struct DeviceInfo {
  int id = 0;
  std::string name;
  int sm_count = 1;
  int cc_major = 0, cc_minor = 0;
  size_t total_memory = 0;
  int driver = 0;
  int cublas_version = 0;
  const Cublas* blas = nullptr;
};

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

std::string driver_error_text(cudaError_t err) {
  std::string what;
  switch (err) {
    case cudaErrorInsufficientDriver:
      what = "no NVIDIA driver, or one older than this program's CUDA runtime (" + version_text(CUDART_VERSION) + ")";
      break;
    case cudaErrorNoDevice: what = "no CUDA-capable GPU is present"; break;
    case cudaErrorStubLibrary: what = "only the CUDA driver's stub library was found, not a real driver"; break;
    case cudaErrorDevicesUnavailable: what = "the GPUs are busy or unavailable (exclusive mode?)"; break;
    case cudaErrorSystemDriverMismatch: what = "the NVIDIA kernel module and driver library do not match"; break;
    case cudaErrorCompatNotSupportedOnDevice: what = "the forward-compatibility driver does not support this GPU"; break;
    default: what = cudaGetErrorString(err); break;
  }
  return what + " [" + cudaGetErrorName(err) + ", " + std::to_string(int(err)) + "]";
}

// Fills `info` when the device is usable; the reason otherwise.
bool open_device(int device, DeviceInfo* info, std::string* why) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    *why = "CUDA is unavailable: " + driver_error_text(err);
    return false;
  }
  if (count <= 0) {
    *why = "CUDA is unavailable: no CUDA-capable GPU is present";
    return false;
  }
  if (device < 0 || device >= count) {
    *why = "there is no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " present)";
    return false;
  }
  cudaDeviceProp prop;
  err = cudaGetDeviceProperties(&prop, device);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    *why = "cannot query CUDA device " + std::to_string(device) + ": " + driver_error_text(err);
    return false;
  }
  if (prop.major * 10 + prop.minor < 75) {
    *why = std::string(prop.name) + " has compute capability " + std::to_string(prop.major) + "." +
           std::to_string(prop.minor) + "; the CUDA backend needs 7.5 or newer";
    return false;
  }
  err = cudaSetDevice(device);
  if (err == cudaSuccess) err = cudaFree(nullptr);  // creates the context: fails on a busy or broken GPU
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    *why = std::string("cannot start CUDA on ") + prop.name + ": " + driver_error_text(err);
    return false;
  }
  if (!kernels_loadable(why)) return false;
  std::string blas_why;
  const Cublas* blas = load_cublas(&blas_why);
  if (!blas) {
    *why = blas_why;
    return false;
  }
  cublasHandle_t h = nullptr;
  const cublasStatus_t st = blas->create(&h);
  if (st != CUBLAS_STATUS_SUCCESS) {
    *why = std::string("cuBLAS cannot start on ") + prop.name + ": " + blas->describe(st);
    return false;
  }
  int cublas_version = 0;
  (void)blas->get_version(h, &cublas_version);
  (void)blas->destroy(h);
  if (info) {
    info->id = device;
    info->name = prop.name;
    info->sm_count = prop.multiProcessorCount;
    info->cc_major = prop.major;
    info->cc_minor = prop.minor;
    info->total_memory = prop.totalGlobalMem;
    (void)cudaDriverGetVersion(&info->driver);
    info->cublas_version = cublas_version;
    info->blas = blas;
  }
  return true;
}

std::string describe(const DeviceInfo& d, Precision precision) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs, %.1f GiB; driver %s, cuBLAS %d.%d.%d, %s)", d.name.c_str(),
                d.cc_major, d.cc_minor, d.sm_count, double(d.total_memory) / double(1ull << 30),
                version_text(d.driver).c_str(), d.cublas_version / 10000, d.cublas_version / 100 % 100,
                d.cublas_version % 100,
                precision == Precision::Tf32   ? "TF32 GEMMs"
                : precision == Precision::Fp16 ? "TF32 GEMMs, FP16 storage where it applies"
                                               : "FP32");
  return buf;
}

// The DeviceMlp that a pass in this jet mode runs under these options.
DeviceMlp device_mlp(const CudaOptions& options, const NetworkConfig& config, JetMode mode) {
  const bool reverse = uses_reverse_gradient(options, config, mode);
  return DeviceMlp(config, mode,
                   MlpPlan()
                       .with_tf32(options.precision != Precision::Fp32)
                       .with_reverse(reverse)
                       .with_fused_ends(reverse ? options.reverse_fused_ends : options.fused_value_output)
                       .with_weight_grad_slices(options.weight_grad_slices)
                       // Fp16 yields to the sliced weight gradients (an experiment), which the
                       // explicit half_storage refuses to combine with.
                       .with_half_storage(options.half_storage ||
                                          (options.precision == Precision::Fp16 && options.weight_grad_slices <= 1)));
}

// Samples per chunk for a budget of bytes: at least kMinChunkSamples, at most what the work needs
// and what keeps a chunk's GEMM rows within int range.
size_t chunk_for_budget(const DeviceMlp& mlp, bool training, size_t budget, size_t wanted) {
  // What does not grow with the chunk (the sliced weight gradients' partial products) first.
  const size_t fixed_floats = mlp.floats_needed(0, training), fixed = fixed_floats * sizeof(float);
  if (fixed > budget / 2)
    throw Error("the weight gradients' " + std::to_string(mlp.weight_grad_slices()) + " slices need " +
                std::to_string(fixed >> 20) + " MiB, more than half the workspace of " + std::to_string(budget >> 20) +
                " MiB: use fewer slices or a larger workspace");
  const size_t per_sample =
      std::max<size_t>(1, (mlp.floats_needed(1024, training) - fixed_floats) * sizeof(float) / 1024);
  size_t samples = (budget > fixed ? budget - fixed : 0) / per_sample;
  samples = std::min(samples, (size_t(1) << 28) / size_t(mlp.rows_per_sample()));
  samples = std::max(samples, kMinChunkSamples);
  return std::max<size_t>(1, std::min(samples, wanted));
}

size_t default_budget(size_t configured) {
  if (configured > 0) return configured;
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    (void)cudaGetLastError();
    return 1024 * kMiB;
  }
  return std::clamp(free_b / 4, 256 * kMiB, 8192 * kMiB);
}

// Allocates the activation workspace for up to `wanted` samples per chunk, halving the chunk while
// the GPU is out of memory. Returns the chunk's capacity in samples.
size_t allocate_workspace(const DeviceMlp& mlp, bool training, size_t budget, size_t wanted, DeviceArray<float>& work,
                          const std::string& what) {
  size_t capacity = chunk_for_budget(mlp, training, budget, wanted);
  for (;;) {
    try {
      work.allocate(mlp.floats_needed(capacity, training), what.c_str());
      return capacity;
    } catch (const OutOfDeviceMemory& e) {
      if (capacity <= kMinChunkSamples)
        throw Error(std::string(e.what()) + "; even " + std::to_string(capacity) +
                    " samples per chunk do not fit: free GPU memory or use --backend cpu");
      capacity = std::max(kMinChunkSamples, capacity / 2);
    }
  }
}

// ------------------------------------------------------------------------------ trainer

class CudaTrainer final : public Trainer {
 public:
  CudaTrainer(std::shared_ptr<const DeviceInfo> dev, const CudaOptions& opts, const NetworkConfig& cfg,
              std::vector<float> params, const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
              size_t batch, uint64_t seed)
      : dev_(std::move(dev)),
        opts_(opts),
        mlp_(device_mlp(opts, cfg, loss_jet_mode(data->loss))),
        data_(std::move(data)),
        seed_(seed),
        np_(cfg.num_parameters()) {
    if (params.size() != np_) throw Error("parameter count does not match the network");
    if (cfg.in_dim != data_->in_dim || cfg.out_dim != data_->out_dim)
      throw Error("network and training data disagree on input/output dimensions");
    mlp_.set_half_scale_shift(opts.half_scale_shift);
    data_->validate();
    if (data_->count > size_t(std::numeric_limits<uint32_t>::max()))
      throw Error("the CUDA backend trains on at most 4,294,967,295 samples");
    use_device(dev_->id);
    stream_ = std::make_unique<Stream>();
    events_ = std::make_unique<Event[]>(kRing);
    blas_ = std::make_unique<BlasHandle>(*dev_->blas, stream_->get());
    exec_ = std::make_unique<CudaExec>(stream_->get(), *dev_->blas, blas_->get(), dev_->sm_count);
    const cudaStream_t s = stream_->get();
    if (opts_.profile_ops) profiler_ = std::make_unique<OpProfiler>(s);
    const int tw = target_width(data_->loss, cfg.in_dim, cfg.out_dim);
    try {
      params_.allocate(np_, "the parameters");
      grads_.allocate(np_, "the gradient");
      if (mlp_.rounded_floats() > 0) rounded_.allocate(mlp_.rounded_floats(), "the TF32 or FP16 copy of the weights");
      m_.allocate(np_, "Adam's first moment");
      v_.allocate(np_, "Adam's second moment");
      coords_.allocate(data_->count * size_t(cfg.in_dim), "the training coordinates");
      targets_.allocate(data_->count * size_t(tw), "the training targets");
      scratch_f_.allocate(CudaExec::scratch_floats(cfg, dev_->sm_count), "reduction scratch");
      scratch_d_.allocate(CudaExec::scratch_doubles(), "reduction scratch");
      hyper_.allocate(1, "optimiser settings");
      scalars_.allocate(1, "optimiser scalars");
      counters_.allocate(1, "step counters");
      loss_sum_.allocate(2, "loss accumulators");
      report_.allocate(1, "step report");
    } catch (const OutOfDeviceMemory& e) {
      throw Error(std::string(e.what()) + " (the training data and the network must fit on " + dev_->name + ")");
    }
    ring_.allocate(kRing, "the loss readback buffer");
    exec_->set_scratch(scratch_f_.get(), scratch_d_.get());
    upload(params_.get(), params.data(), np_ * sizeof(float), s, "uploading the parameters");
    upload(coords_.get(), data_->coords.data(), data_->coords.size() * sizeof(float), s, "uploading the coordinates");
    upload(targets_.get(), data_->targets.data(), data_->targets.size() * sizeof(float), s, "uploading the targets");
    check_cuda(cudaMemsetAsync(m_.get(), 0, np_ * sizeof(float), s), "clearing Adam's state");
    check_cuda(cudaMemsetAsync(v_.get(), 0, np_ * sizeof(float), s), "clearing Adam's state");
    check_cuda(cudaMemsetAsync(counters_.get(), 0, sizeof(StepCounters), s), "clearing the counters");
    check_cuda(cudaMemsetAsync(loss_sum_.get(), 0, 2 * sizeof(double), s), "clearing the loss");
    hyper_host_.lr = adam.lr;
    hyper_host_.beta1 = adam.beta1;
    hyper_host_.beta2 = adam.beta2;
    hyper_host_.eps = adam.eps;
    hyper_host_.clip = adam.clip_grad_norm;
    upload(hyper_.get(), &hyper_host_, sizeof(AdamHyper), s, "uploading the optimiser settings");
    stream_->sync();
    set_batch_size(batch);
  }

  ~CudaTrainer() override {
    if (stream_) (void)cudaStreamSynchronize(stream_->get());
    drop_graph();
  }

  StepStats step() override {
    use_device(dev_->id);
    ready();
    enqueue_step();
    const uint64_t h = ++queued_;
    const int slot = int(h % kRing);
    download(&ring_.get()[slot], report_.get(), sizeof(StepReport), stream_->get(), "reading back the loss");
    check_cuda(cudaEventRecord(events_[size_t(slot)].get(), stream_->get()), "recording a step");
    poll();
    // Keep at most kMaxLossLag steps unreported (and wait for the first, so that there is a loss).
    const uint64_t need = h == 1 ? 1 : (h > uint64_t(kMaxLossLag) ? h - uint64_t(kMaxLossLag) : 0);
    if (reported_ < need) {
      check_cuda(cudaEventSynchronize(events_[size_t(need % kRing)].get()), "waiting for a training step");
      poll();
    }
    return latest_;
  }

  double loss_and_gradient(std::vector<float>& grads) override {
    use_device(dev_->id);
    ready();
    const cudaStream_t s = stream_->get();
    stream_->sync();
    poll();
    check_cuda(cudaMemsetAsync(grads_.get(), 0, np_ * sizeof(float), s), "clearing the gradient");
    double* sum = loss_sum_.get() + 1;
    check_cuda(cudaMemsetAsync(sum, 0, sizeof(double), s), "clearing the loss");
    // All samples in order, with no fresh off-surface points for SDFs (as the CPU backend).
    accumulate(coords_.get(), targets_.get(), nullptr, data_->count, data_->count, 0, sum);
    grads.resize(np_);
    double loss = 0;
    download(grads.data(), grads_.get(), np_ * sizeof(float), s, "reading back the gradient");
    download(&loss, sum, sizeof(double), s, "reading back the loss");
    stream_->sync();
    return loss * loss_factor(data_->count);
  }

  std::vector<float> parameters() const override {
    use_device(dev_->id);
    std::vector<float> p(np_);
    download(p.data(), params_.get(), np_ * sizeof(float), stream_->get(), "reading back the parameters");
    stream_->sync();
    return p;
  }

  void set_parameters(const std::vector<float>& p) override {
    if (p.size() != np_) throw Error("parameter count does not match the network");
    use_device(dev_->id);
    const cudaStream_t s = stream_->get();
    stream_->sync();
    upload(params_.get(), p.data(), np_ * sizeof(float), s, "uploading the parameters");
    check_cuda(cudaMemsetAsync(m_.get(), 0, np_ * sizeof(float), s), "clearing Adam's state");
    check_cuda(cudaMemsetAsync(v_.get(), 0, np_ * sizeof(float), s), "clearing Adam's state");
    // Adam's step restarts (as the CPU backend's Adam::reset); the sampler's draw counter goes on.
    static_assert(offsetof(StepCounters, t) == 0, "t first");
    check_cuda(cudaMemsetAsync(counters_.get(), 0, sizeof(unsigned long long), s), "resetting the step");
    stream_->sync();
    queued_ = 0;
    reported_ = 0;
    backoff_at_ = 0;
    latest_ = StepStats{0, std::numeric_limits<double>::quiet_NaN()};
  }

  void set_learning_rate(float lr) override {
    use_device(dev_->id);
    stream_->sync();
    hyper_host_.lr = lr;
    upload(hyper_.get(), &hyper_host_, sizeof(AdamHyper), stream_->get(), "uploading the learning rate");
    stream_->sync();
  }
  float learning_rate() const override { return hyper_host_.lr; }

  void set_batch_size(size_t batch) override {
    use_device(dev_->id);
    const size_t count = data_->count;
    const size_t b = batch == 0 ? count : std::min(batch, count);
    if (b == batch_ && work_.get()) return;
    stream_->sync();
    drop_graph();
    // No batch until its buffers are there: should an allocation below fail, step() refuses to run
    // (ready()) instead of launching kernels on freed or too small buffers.
    batch_ = 0;
    if (b < count && index_.size() < b) index_.allocate(b, "the batch's sample indices");
    // Both sizes: a failed second allocation leaves the first buffer grown and the second empty.
    if (sdf() && (sdf_coords_.size() < 2 * b * 3 || sdf_targets_.size() < 2 * b * size_t(kSdfTargetWidth))) {
      sdf_coords_.allocate(2 * b * 3, "the SDF batch");
      sdf_targets_.allocate(2 * b * size_t(kSdfTargetWidth), "the SDF batch");
    }
    batch_ = b;
    // A step's samples, or at most the chunk the options allow.
    const size_t samples =
        opts_.max_chunk_samples > 0 ? std::min(step_samples(), opts_.max_chunk_samples) : step_samples();
    const size_t budget = default_budget(opts_.workspace_bytes);
    const size_t wanted = chunk_for_budget(mlp_, true, budget, samples);
    if (!work_.get() || wanted > capacity_ || (capacity_ > samples && capacity_ > 2 * wanted)) {
      work_.reset();
      capacity_ = allocate_workspace(mlp_, true, budget, samples, work_, "the training activations");
      buffers_ = mlp_.carve(work_.get(), capacity_, true);
    }
  }

  const NetworkConfig& config() const override { return mlp_.config(); }

  StepStats synchronize() {
    use_device(dev_->id);
    stream_->sync();
    poll();
    return latest_;
  }
  bool graphed() const { return graph_ != nullptr; }
  bool half_storage() const { return mlp_.half_storage(); }
  int half_scale_shift() const { return mlp_.half_scale_shift(); }
  unsigned long long skipped_steps() const { return overflows_seen_; }
  size_t chunk_capacity() const { return capacity_; }
  std::vector<OpTime> profile() {
    if (!profiler_) throw Error("op_profile: the trainer was not made with CudaOptions::profile_ops");
    use_device(dev_->id);
    return profiler_->collect();
  }

 private:
  bool sdf() const { return data_->loss == LossKind::Sdf; }
  // Throws unless set_batch_size() completed (it failed for want of GPU memory otherwise).
  void ready() const {
    if (batch_ == 0 || !work_.get())
      throw Error("the CUDA trainer has no buffers for its batch (an earlier allocation failed); set a smaller batch");
  }
  // Samples one step computes: the batch, doubled by the off-surface points for SDFs.
  size_t step_samples() const { return sdf() ? 2 * batch_ : batch_; }
  // What turns the accumulated sum into the loss, as the CPU backend: the squared errors times the
  // float scale 1 / (n out_dim); the SDF loss's terms are already means.
  double loss_factor(size_t n) const {
    return sdf() ? 1.0 : double(1.0f / float(double(n) * data_->out_dim));
  }

  // Forward, loss and backward of `n` samples of (coords, targets) (through `index`, or samples
  // 0..n-1), chunk by chunk, adding the gradient into grads_ and the loss's sum into *loss_sum.
  void accumulate(const float* coords, const float* targets, const uint32_t* index, size_t n, size_t sdf_on,
                  size_t sdf_off, double* loss_sum) {
    TrainingView view;
    view.coords = coords;
    view.targets = targets;
    view.loss = data_->loss;
    view.sdf_on = sdf_on;
    view.sdf_off = sdf_off;
    mlp_.round_parameters(*exec_, params_.get(), rounded_.get());
    mlp_.train(*exec_, params_.get(), view, index, n, capacity_, buffers_, grads_.get(), loss_sum, rounded_.get());
  }

  // Everything one training step does on the GPU, in stream order; no host synchronisation and
  // nothing that depends on host state other than what a CUDA graph may freeze (pointers, sizes,
  // the seed): the step count, the sampler's draw and the learning rate live in device memory.
  void record_step() {
    const cudaStream_t s = stream_->get();
    if (profiler_) profiler_->begin();
    check_cuda(cudaMemsetAsync(grads_.get(), 0, np_ * sizeof(float), s), "clearing the gradient");
    if (profiler_) profiler_->mark("gradient clearing");
    const uint32_t* index = nullptr;
    if (batch_ < data_->count) {
      exec_->sample(index_.get(), batch_, data_->count, seed_, counters_.get());
      index = index_.get();
    }
    if (sdf()) {
      // The batch's surface points, then as many fresh uniform points in [-1,1]^3 (CPU: the same).
      SdfBatch sb;
      sb.coords = coords_.get();
      sb.targets = targets_.get();
      sb.index = index;
      sb.n = batch_;
      sb.seed = seed_;
      sb.out_coords = sdf_coords_.get();
      sb.out_targets = sdf_targets_.get();
      exec_->sdf_batch(sb, counters_.get());
      accumulate(sdf_coords_.get(), sdf_targets_.get(), nullptr, 2 * batch_, batch_, batch_, loss_sum_.get());
    } else {
      accumulate(coords_.get(), targets_.get(), index, batch_, 0, 0, loss_sum_.get());
    }
    // Half storage checks every gradient (its norm) and skips a step that overflowed FP16.
    const bool check = mlp_.half_storage();
    const int norm_partials = hyper_host_.clip > 0 || check ? exec_->grad_sqnorm(grads_.get(), np_) : 0;
    exec_->adam_prepare(hyper_.get(), counters_.get(), norm_partials, scalars_.get(), check);
    exec_->adam(hyper_.get(), scalars_.get(), params_.get(), m_.get(), v_.get(), grads_.get(), np_);
    exec_->finish_step(counters_.get(), loss_sum_.get(), loss_factor(batch_), report_.get());
  }

  void enqueue_step() {
    const cudaStream_t s = stream_->get();
    // The first step after a (re)configuration runs as plain launches: it loads the kernels (CUDA
    // loads modules lazily) and warms up cuBLAS outside a capture; the next one is captured.
    if (opts_.graphs && !profiler_ && !graph_ && !graph_failed_ && warm_) capture();
    if (graph_) {
      check_cuda(cudaGraphLaunch(graph_, s), "launching the training step");
      return;
    }
    exec_->set_profiler(profiler_.get());  // the eager launches of the steps only
    try {
      record_step();
    } catch (...) {
      exec_->set_profiler(nullptr);
      throw;
    }
    exec_->set_profiler(nullptr);
    warm_ = true;
  }

  // Captures record_step() into a CUDA graph; on any failure, plain launches from then on.
  void capture() {
    const cudaStream_t s = stream_->get();
    cudaGraph_t graph = nullptr;
    if (cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      (void)cudaGetLastError();
      graph_failed_ = true;
      return;
    }
    bool recorded = true;
    try {
      record_step();
    } catch (const Error&) {
      recorded = false;
    }
    const cudaError_t end = cudaStreamEndCapture(s, &graph);
    if (!recorded || end != cudaSuccess || !graph) {
      (void)cudaGetLastError();
      if (graph) (void)cudaGraphDestroy(graph);
      graph_failed_ = true;
      return;
    }
    cudaGraphExec_t exec = nullptr;
    const cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
    (void)cudaGraphDestroy(graph);
    if (inst != cudaSuccess || !exec) {
      (void)cudaGetLastError();
      graph_failed_ = true;
      return;
    }
    graph_ = exec;
  }

  void drop_graph() {
    if (graph_) (void)cudaGraphExecDestroy(graph_);
    graph_ = nullptr;
    graph_failed_ = false;
    warm_ = false;
  }

  // Takes in the reports of the steps that have finished, oldest first, without waiting.
  void poll() {
    while (reported_ < queued_) {
      const uint64_t next = reported_ + 1;
      const cudaError_t q = cudaEventQuery(events_[size_t(next % kRing)].get());
      if (q == cudaErrorNotReady) {
        (void)cudaGetLastError();
        return;
      }
      check_cuda(q, "a training step");  // an error of an earlier asynchronous launch surfaces here
      const StepReport r = ring_.get()[next % kRing];
      latest_ = StepStats{r.step, r.loss};
      reported_ = next;
      if (r.overflows > overflows_seen_) {
        overflows_seen_ = r.overflows;
        // Steps queued before the last back-off ran at the old scale: theirs say nothing new.
        if (next > backoff_at_) back_off();
      }
    }
  }

  // Dynamic loss scaling's back-off (half storage): a step's gradient overflowed FP16 and was
  // skipped (adam_step_scalars), so the adjoints' scale halves for the steps recorded from now on.
  // It never grows back: bench/storage_precision.py found the gradient as accurate from N/4096 to
  // N/16, so the default N/256 has room both ways and a lower scale costs nothing measurable.
  void back_off() {
    const int shift = mlp_.half_scale_shift() - 1;
    if (shift < kMinHalfScaleShift)
      throw Error("the 16-bit buffers of --precision fp16 overflowed even with the adjoints scaled down 2^" +
                  std::to_string(-kMinHalfScaleShift) + " times; train with --precision tf32");
    stream_->sync();  // the graph holds the old scale; no step of it may still be running
    drop_graph();
    mlp_.set_half_scale_shift(shift);
    backoff_at_ = queued_;
  }

  std::shared_ptr<const DeviceInfo> dev_;
  CudaOptions opts_;
  DeviceMlp mlp_;
  std::shared_ptr<const TrainingData> data_;
  uint64_t seed_;
  size_t np_;

  std::unique_ptr<Stream> stream_;
  std::unique_ptr<BlasHandle> blas_;
  std::unique_ptr<CudaExec> exec_;
  std::unique_ptr<OpProfiler> profiler_;  // CudaOptions::profile_ops
  std::unique_ptr<Event[]> events_;  // kRing of them: step h's loss copy is followed by event h % kRing

  DeviceArray<float> params_, grads_, m_, v_, coords_, targets_, work_, scratch_f_;
  DeviceArray<float> rounded_;  // TF32 path, half storage: the parameters' copy, refreshed before each pass
  DeviceArray<double> scratch_d_, loss_sum_;  // loss_sum_[0]: the steps', [1]: loss_and_gradient's
  DeviceArray<uint32_t> index_;
  DeviceArray<float> sdf_coords_, sdf_targets_;  // an SDF step's batch: surface then off-surface points
  DeviceArray<AdamHyper> hyper_;
  DeviceArray<AdamScalars> scalars_;
  DeviceArray<StepCounters> counters_;
  DeviceArray<StepReport> report_;
  PinnedArray<StepReport> ring_;
  MlpBuffers buffers_;
  size_t batch_ = 0, capacity_ = 0;
  AdamHyper hyper_host_;

  cudaGraphExec_t graph_ = nullptr;
  bool graph_failed_ = false;
  bool warm_ = false;  // a step ran since the last (re)configuration

  uint64_t queued_ = 0;    // steps queued since the start or the last set_parameters()
  uint64_t reported_ = 0;  // of those, the newest whose report has been read
  StepStats latest_{0, std::numeric_limits<double>::quiet_NaN()};
  // Dynamic loss scaling (half storage): the skipped steps seen so far (StepCounters::overflows, never
  // reset), and queued_ when the scale last changed.
  unsigned long long overflows_seen_ = 0;
  uint64_t backoff_at_ = 0;
};

}  // namespace

// ----------------------------------------------------------------------------- backend

struct CudaBackend::Impl {
  CudaOptions options;
  std::shared_ptr<const DeviceInfo> dev;

  // evaluate(): its own stream, handle and buffers, one call at a time.
  std::mutex eval_mu;
  std::unique_ptr<Stream> eval_stream;
  std::unique_ptr<BlasHandle> eval_blas;
  DeviceArray<float> eval_params, eval_coords, eval_out, eval_work, eval_scratch_f;
  DeviceArray<double> eval_scratch_d;
};

Availability probe(int device) {
  Availability a;
  DeviceInfo info;
  std::string why;
  if (!open_device(device, &info, &why)) {
    a.reason = why;
    return a;
  }
  a.usable = true;
  a.device = describe(info, Precision::Fp32);
  return a;
}

CudaBackend::CudaBackend(const CudaOptions& options) : impl_(std::make_shared<Impl>()) {
  impl_->options = options;
  auto info = std::make_shared<DeviceInfo>();
  std::string why;
  if (!open_device(options.device, info.get(), &why)) throw Error("the CUDA backend cannot be used: " + why);
  impl_->dev = std::move(info);
}

CudaBackend::~CudaBackend() = default;

const CudaOptions& CudaBackend::options() const { return impl_->options; }

std::string CudaBackend::device() const { return describe(*impl_->dev, impl_->options.precision); }

std::unique_ptr<Trainer> CudaBackend::make_trainer(const NetworkConfig& config, std::vector<float> params,
                                                   const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
                                                   size_t batch_size, uint64_t seed) {
  if (!data) throw Error("no training data");
  return std::make_unique<CudaTrainer>(impl_->dev, impl_->options, config, std::move(params), adam, std::move(data),
                                       batch_size, seed);
}

FieldJets CudaBackend::evaluate(const NetworkConfig& config, const std::vector<float>& params, const float* coords,
                                size_t n, JetMode mode) {
  if (params.size() != config.num_parameters()) throw Error("parameter count does not match the network");
  // SDF normals and one-channel gradients (the sphere tracer's hits, the SDF task's metrics) by
  // reverse mode, as the training steps: half the GEMM work of gradient jets.
  const DeviceMlp mlp = device_mlp(impl_->options, config, mode);
  const int d = config.in_dim, c = config.out_dim;
  FieldJets out;
  out.value.resize(n * size_t(c));
  if (mode != JetMode::Value) out.gradient.resize(n * size_t(c) * size_t(d));
  if (mode == JetMode::Laplacian) out.laplacian.resize(n * size_t(c));
  if (n == 0) return out;

  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.eval_mu);
  use_device(im.dev->id);
  if (!im.eval_stream) {
    im.eval_stream = std::make_unique<Stream>();
    im.eval_blas = std::make_unique<BlasHandle>(*im.dev->blas, im.eval_stream->get());
  }
  const cudaStream_t s = im.eval_stream->get();
  CudaExec exec(s, *im.dev->blas, im.eval_blas->get(), im.dev->sm_count);
  const size_t np = params.size();
  // The parameters and their TF32 copy, 256-byte aligned as the trainer's own allocation (cuBLAS's
  // fast TF32 kernels need aligned operands).
  const size_t rounded_at = DeviceMlp::aligned_floats(np);
  if (im.eval_params.size() < rounded_at + mlp.rounded_floats())
    im.eval_params.allocate(rounded_at + mlp.rounded_floats(), "the parameters");
  const size_t sf = CudaExec::scratch_floats(config, im.dev->sm_count);
  if (im.eval_scratch_f.size() < sf) im.eval_scratch_f.allocate(sf, "reduction scratch");
  if (im.eval_scratch_d.size() < CudaExec::scratch_doubles())
    im.eval_scratch_d.allocate(CudaExec::scratch_doubles(), "reduction scratch");
  exec.set_scratch(im.eval_scratch_f.get(), im.eval_scratch_d.get());

  // Inference buffers: at most a gigabyte or a quarter of the free memory; reallocated only to grow
  // (the views evaluate the same grid again and again).
  const size_t budget = std::min(default_budget(im.options.workspace_bytes), 1024 * kMiB);
  size_t capacity = chunk_for_budget(mlp, false, budget, n);
  const size_t out_floats_per_sample = size_t(c) * (1 + size_t(d) + 1);
  if (im.eval_work.size() < mlp.floats_needed(capacity, false) || im.eval_coords.size() < capacity * size_t(d) ||
      im.eval_out.size() < capacity * out_floats_per_sample) {
    im.eval_work.reset();
    im.eval_coords.reset();
    im.eval_out.reset();
    for (;;) {
      try {
        im.eval_work.allocate(mlp.floats_needed(capacity, false), "the inference activations");
        im.eval_coords.allocate(capacity * size_t(d), "the inference coordinates");
        im.eval_out.allocate(capacity * out_floats_per_sample, "the inference outputs");
        break;
      } catch (const OutOfDeviceMemory& e) {
        if (capacity <= kMinChunkSamples) throw Error(std::string(e.what()) + " (inference)");
        capacity = std::max(kMinChunkSamples, capacity / 2);
      }
    }
  }
  const MlpBuffers buffers = mlp.carve(im.eval_work.get(), capacity, false);
  upload(im.eval_params.get(), params.data(), np * sizeof(float), s, "uploading the parameters");
  float* rounded = im.eval_params.get() + rounded_at;
  mlp.round_parameters(exec, im.eval_params.get(), rounded, /*training=*/false);

  float* dv = im.eval_out.get();
  float* dg = dv + capacity * size_t(c);
  float* dl = dg + capacity * size_t(c) * size_t(d);
  for (size_t begin = 0; begin < n; begin += capacity) {
    const size_t m = std::min(capacity, n - begin);
    upload(im.eval_coords.get(), coords + begin * size_t(d), m * size_t(d) * sizeof(float), s,
           "uploading the coordinates");
    ChunkInput in;
    in.coords = im.eval_coords.get();
    in.n = m;
    mlp.forward(exec, im.eval_params.get(), in, buffers, rounded);
    Extract x;
    x.out = buffers.out;
    x.n = m;
    x.d = d;
    x.c = c;
    x.mode = mode;
    x.value = dv;
    x.gradient = dg;
    x.laplacian = dl;
    exec.extract(x);
    // Copies to pageable memory return once done, so the next chunk may reuse the device buffers.
    download(out.value.data() + begin * size_t(c), dv, m * size_t(c) * sizeof(float), s, "reading back values");
    if (mode != JetMode::Value)
      download(out.gradient.data() + begin * size_t(c) * size_t(d), dg, m * size_t(c) * size_t(d) * sizeof(float), s,
               "reading back gradients");
    if (mode == JetMode::Laplacian)
      download(out.laplacian.data() + begin * size_t(c), dl, m * size_t(c) * sizeof(float), s,
               "reading back Laplacians");
    im.eval_stream->sync();
  }
  return out;
}

StepStats synchronize(Trainer& trainer) {
  auto* t = dynamic_cast<CudaTrainer*>(&trainer);
  if (!t) throw Error("synchronize: not a CUDA trainer");
  return t->synchronize();
}

std::vector<OpTime> op_profile(Trainer& trainer) {
  auto* t = dynamic_cast<CudaTrainer*>(&trainer);
  if (!t) throw Error("op_profile: not a CUDA trainer");
  return t->profile();
}

bool uses_reverse_gradient(const CudaOptions& options, const NetworkConfig& config, JetMode mode) {
  return options.reverse_mode_gradient && DeviceMlp::reverse_supported(config, mode);
}

double train_gemm_flops(const CudaOptions& options, const NetworkConfig& config, JetMode mode, size_t samples) {
  return device_mlp(options, config, mode).train_flops(samples);
}

bool uses_graph(const Trainer& trainer) {
  const auto* t = dynamic_cast<const CudaTrainer*>(&trainer);
  return t && t->graphed();
}

bool uses_half_storage(const Trainer& trainer) {
  const auto* t = dynamic_cast<const CudaTrainer*>(&trainer);
  return t && t->half_storage();
}

HalfScaling half_scaling(const Trainer& trainer) {
  const auto* t = dynamic_cast<const CudaTrainer*>(&trainer);
  if (!t) throw Error("half_scaling: not a CUDA trainer");
  return {t->half_scale_shift(), t->skipped_steps()};
}

size_t chunk_capacity(const Trainer& trainer) {
  const auto* t = dynamic_cast<const CudaTrainer*>(&trainer);
  if (!t) throw Error("chunk_capacity: not a CUDA trainer");
  return t->chunk_capacity();
}

namespace {

// The benchmarks' device (measure_gemm_flops, time_gemm, measure_copy_bandwidth); throws with
// probe()'s reason where CUDA cannot be used.
DeviceInfo open_benchmark_device(int device) {
  DeviceInfo info;
  std::string why;
  if (!open_device(device, &info, &why)) throw Error("the CUDA backend cannot be used: " + why);
  return info;
}

// The fastest of `reps` timings (events on the stream) of `iters` calls of run(), in ms per call,
// after `warmup` untimed calls (module loading, clocks up).
template <typename Run>
double best_ms_per_call(cudaStream_t stream, int warmup, int reps, int iters, Run run) {
  Event start(true), stop(true);
  for (int i = 0; i < warmup; ++i) run();
  double best = std::numeric_limits<double>::infinity();
  for (int rep = 0; rep < reps; ++rep) {
    check_cuda(cudaEventRecord(start.get(), stream), "timing");
    for (int i = 0; i < iters; ++i) run();
    check_cuda(cudaEventRecord(stop.get(), stream), "timing");
    check_cuda(cudaEventSynchronize(stop.get()), "timing");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, start.get(), stop.get()), "timing");
    best = std::min(best, double(ms) / iters);
  }
  return best;
}

}  // namespace

double measure_gemm_flops(bool tf32, int n, int device) {
  return 2.0 * double(n) * n * n / (time_gemm(n, n, n, false, 0, tf32, device) * 1e-3);
}

double time_gemm(int m, int n, int k, bool trans_a, size_t a_offset, bool tf32, int device) {
  const DeviceInfo info = open_benchmark_device(device);
  Stream stream;
  BlasHandle blas(*info.blas, stream.get());
  const int lda = trans_a ? k : m;
  const size_t a_elems = size_t(lda) * size_t(trans_a ? m : k), b_elems = size_t(k) * size_t(n);
  DeviceArray<float> a, b, c;
  a.allocate(a_offset + a_elems, "GEMM benchmark");
  b.allocate(b_elems, "GEMM benchmark");
  c.allocate(size_t(m) * size_t(n), "GEMM benchmark");
  // Random-ish, non-zero inputs (a fill kernel is not worth it: a host pattern uploaded once).
  std::vector<float> host(std::max(a_elems, b_elems));
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (float& v : host) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = float(int64_t(x >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
  upload(a.get() + a_offset, host.data(), a_elems * sizeof(float), stream.get(), "GEMM benchmark");
  upload(b.get(), host.data(), b_elems * sizeof(float), stream.get(), "GEMM benchmark");
  const float one = 1.0f, zero = 0.0f;
  const cublasComputeType_t compute = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  auto run = [&] {
    check_cublas(*info.blas,
                 info.blas->gemm_ex(blas.get(), trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one,
                                    a.get() + a_offset, CUDA_R_32F, lda, b.get(), CUDA_R_32F, k, &zero, c.get(),
                                    CUDA_R_32F, m, compute, CUBLAS_GEMM_DEFAULT),
                 "GEMM benchmark");
  };
  return best_ms_per_call(stream.get(), 3, 5, 5, run);
}

double measure_copy_bandwidth(size_t bytes, int device) {
  const DeviceInfo info = open_benchmark_device(device);
  Stream stream;
  DeviceArray<float> a, b;
  const size_t n = bytes / sizeof(float);
  a.allocate(n, "copy benchmark");
  b.allocate(n, "copy benchmark");
  check_cuda(cudaMemsetAsync(a.get(), 0, n * sizeof(float), stream.get()), "copy benchmark");
  const double ms = best_ms_per_call(stream.get(), 1, 5, 1, [&] {
    check_cuda(cudaMemcpyAsync(b.get(), a.get(), n * sizeof(float), cudaMemcpyDeviceToDevice, stream.get()),
               "copy benchmark");
  });
  return 2.0 * double(n * sizeof(float)) / (ms * 1e-3);
}

}  // namespace siren::cuda
