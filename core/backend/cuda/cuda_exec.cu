// Kernels of the CUDA backend. Each is an index loop around a per-element function of
// jet_kernels.h (where the arithmetic and the indexing live, shared with the host emulation test);
// what is CUDA-specific here is the launch geometry and the block reductions.
//
// Geometry of the (sample, feature) kernels (launch_geometry.h, which the host emulation audits
// too): blocks of 256 threads, threadIdx.x across features (bx = the width rounded up to a warp, at
// most 256) and threadIdx.y across samples (256 / bx of them); grid.x covers the features, grid.y
// strides over the samples. A warp therefore reads 32 consecutive floats of one jet row: coalesced.
// Per-feature values (bias, first-layer weights) stay in registers across a thread's samples where
// the kernel loads them before its sample loop (FeatureConsts).
//
// Reductions over samples (bias and first-layer gradients, the loss, the gradient norm) are
// deterministic: each block writes its partial sums to scratch, and a second kernel adds the
// partials in a fixed order, so results do not depend on timing (and a CUDA graph replays a step
// bit for bit like the eager launches).
#include <algorithm>
#include <string>
#include <type_traits>

#include "core/backend/cuda/cuda_exec.h"
#include "core/backend/cuda/launch_geometry.h"
#include "core/backend/cuda/op_profiler.h"

namespace siren::cuda {

namespace {

constexpr int kMaxLossBlocks = 1024;  // partial sums of the loss and of the gradient norm

// launch_geometry.h's tiling as CUDA's grid and block.
struct Tiling {
  dim3 grid, block;
};
// per_thread: features per thread (half storage's kernels: kHalfFeatures).
Tiling tiling(int w, size_t n, size_t max_blocks, int per_thread = 1) {
  const FeatureTiling t = siren::cuda::feature_tiling(w, n, max_blocks, per_thread);
  return {dim3(t.gx, t.gy), dim3(t.bx, t.by)};
}

// Half storage's kernels exist for what DeviceMlp stores in halves: the sine network's Value passes.
void check_half(bool supported, const char* what) {
  if (!supported) throw Error(std::string("internal: no half-storage kernel for this ") + what);
}

// launch(sine, half), both std::bool_constant, for the reverse path's kernel instance of these
// arguments: half storage's (built for the sine network alone) where `half`, else the FP32 one of
// the activation.
template <class F>
void by_storage(bool half, bool sine, const char* what, F launch) {
  if (half) {
    check_half(sine, what);
    launch(std::true_type{}, std::true_type{});
  } else if (sine) {
    launch(std::true_type{}, std::false_type{});
  } else {
    launch(std::false_type{}, std::false_type{});
  }
}

unsigned linear_blocks(size_t n, size_t cap) {
  const size_t need = (n + kThreads - 1) / kThreads;
  return unsigned(std::max<size_t>(1, std::min(need, cap)));
}

// The first sample of this thread and the stride of the (feature, sample) loops.
__device__ __forceinline__ size_t first_sample() { return size_t(blockIdx.y) * blockDim.y + threadIdx.y; }
__device__ __forceinline__ size_t sample_stride() { return size_t(gridDim.y) * blockDim.y; }
__device__ __forceinline__ int feature() { return int(blockIdx.x * blockDim.x + threadIdx.x); }

// Sums v over threadIdx.y (in order) into partials[blockIdx.y * stride + offset] by the threads of
// row 0. Every thread of the block must call it (it synchronises).
__device__ __forceinline__ void block_sum_y(float v, float* shared, float* partials, size_t index, bool live) {
  shared[threadIdx.y * blockDim.x + threadIdx.x] = v;
  __syncthreads();
  if (threadIdx.y == 0 && live) {
    float t = 0.0f;
    for (unsigned y = 0; y < blockDim.y; ++y) t += shared[y * blockDim.x + threadIdx.x];
    partials[index] = t;
  }
  __syncthreads();
}

// The block's sums of acc[q], q < quantities, into the partials' layout [block][quantity][feature]
// that reduce_partials_kernel reads (feature i of w). Every thread of the block must call it.
template <int N>
__device__ __forceinline__ void block_sums_to_partials(const float (&acc)[N], int quantities, float* shared,
                                                       float* partials, int w, int i, bool live) {
#pragma unroll
  for (int q = 0; q < N; ++q)
    if (q < quantities)
      block_sum_y(acc[q], shared, partials, (size_t(blockIdx.y) * size_t(quantities) + size_t(q)) * size_t(w) + size_t(i),
                  live);
}

// Sum of v over the block (kThreads threads, 1-D) in a fixed order; the result is valid in thread 0.
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double s[kThreads];
  s[threadIdx.x] = v;
  __syncthreads();
  for (int off = kThreads / 2; off > 0; off >>= 1) {
    if (int(threadIdx.x) < off) s[threadIdx.x] += s[threadIdx.x + off];
    __syncthreads();
  }
  return s[0];
}

// jet_kernels.h's batched_samples over this thread's samples, B at a time.
template <int B = kSampleBatch, class Load, class Store>
__device__ __forceinline__ void sample_loop(size_t n, Load load, Store store) {
  batched_samples<B>(first_sample(), sample_stride(), n, load, store);
}

// Half storage's kernels take kHalfFeatures consecutive features per thread (launch_geometry.h),
// which share the index arithmetic and the loop: ncu on an H200 had them bound by instruction
// issue (78% of the issue slots busy, DRAM at 35%; some 54 instructions per element for the
// activation, 90 for the gradient sweep), not by their halved bytes. The FP32 kernels keep one.
template <bool HALF>
constexpr int kPerThread = features_per_thread(HALF);
// A group of V consecutive features first .. first + V - 1, the last group of a width maybe partial:
// load(v) for each feature below w, then store(v, loaded) for each.
template <class T, int V>
struct PerFeature {
  T f[V];
};
template <int V, class Load>
__device__ __forceinline__ auto load_group(int first, int w, Load load) {
  PerFeature<decltype(load(0)), V> r{};
#pragma unroll
  for (int v = 0; v < V; ++v)
    if (V == 1 || first + v < w) r.f[v] = load(v);
  return r;
}
template <int V, class T, class Store>
__device__ __forceinline__ void store_group(int first, int w, const PerFeature<T, V>& r, Store store) {
#pragma unroll
  for (int v = 0; v < V; ++v)
    if (V == 1 || first + v < w) store(v, r.f[v]);
}
// sample_loop over the features first, first + 1, ..., first + V - 1 below w: load(s, v) for
// feature first + v, then store(s, v, loaded). kSampleBatch / V samples at a time keeps the loads in
// flight per thread, and the registers that hold them, as with one feature.
template <int V, class Load, class Store>
__device__ __forceinline__ void features_sample_loop(size_t n, int first, int w, Load load, Store store) {
  static_assert(kSampleBatch % V == 0, "whole samples per batch");
  sample_loop<kSampleBatch / V>(
      n, [&](size_t s) { return load_group<V>(first, w, [&](int v) { return load(s, v); }); },
      [&](size_t s, const auto& r) { store_group<V>(first, w, r, [&](int v, const auto& in) { store(s, v, in); }); });
}

// ------------------------------------------------------------------------------- kernels

// Half storage is a template parameter of the kernels that read or write hidden buffers: each kernel
// then holds the loads and stores of one storage (its `half` flag a constant), and the FP32 kernels
// are the ones they were (a runtime flag cost the reverse path's kernels up to 8 registers and an
// occupancy step). Only the sine network's Value kernels come in halves (DeviceMlp's half_storage).
template <int MODE, bool SINE, bool HALF>
__global__ void __launch_bounds__(kThreads) act_forward_kernel(Stored<ActForward, HALF> a) {
  if constexpr (MODE == int(JetMode::Value)) {
    constexpr int V = kPerThread<HALF>;
    const int i = feature() * V;
    if (i >= a.w) return;
    features_sample_loop<V>(
        a.n, i, a.w, [&](size_t s, int v) { return act_value_load(a, s, i + v); },
        [&](size_t s, int v, const ValueIn& in) { act_value_store<SINE>(a, s, i + v, in); });
  } else {
    const int i = feature();
    if (i >= a.w) return;
    for (size_t s = first_sample(); s < a.n; s += sample_stride()) act_forward_at<MODE, SINE>(a, s, i);
  }
}

template <int MODE, bool SINE>
__global__ void __launch_bounds__(kThreads) act_backward_kernel(ActBackward a, float* partials) {
  __shared__ float shared[kThreads];
  const int i = feature();
  const bool live = i < a.w;
  float acc = 0.0f;
  if (live) {
    if constexpr (MODE == int(JetMode::Value)) {
      sample_loop(
          a.n, [&](size_t s) { return act_value_adjoint_load(a, s, i); },
          [&](size_t s, const ValueAdjIn& in) { acc += act_value_adjoint_store<SINE>(a, s, i, in); });
    } else {
      for (size_t s = first_sample(); s < a.n; s += sample_stride()) acc += act_backward_at<MODE, SINE>(a, s, i);
    }
  }
  block_sum_y(acc, shared, partials, size_t(blockIdx.y) * size_t(a.w) + size_t(i), live);
}

template <int MODE, bool SINE, bool HALF>
__global__ void __launch_bounds__(kThreads) first_forward_kernel(Stored<FirstLayer, HALF> a) {
  constexpr int V = kPerThread<HALF>;
  const int i = feature() * V;
  if (i >= a.w) return;
  FirstFeature f[V];  // the thread's features, for all its samples
#pragma unroll
  for (int v = 0; v < V; ++v)
    if (V == 1 || i + v < a.w) f[v] = first_feature(a, i + v);
  features_sample_loop<V>(
      a.n, i, a.w, [&](size_t s, int v) { return first_pre(a, s, f[v]); },
      [&](size_t s, int v, const FirstPre& p) { first_forward_store<MODE, SINE>(a, s, i + v, p); });
}

template <int MODE, bool SINE>
__global__ void __launch_bounds__(kThreads) first_backward_kernel(FirstLayer a, float* partials) {
  __shared__ float shared[kThreads];
  const int i = feature();
  const bool live = i < a.w;
  float acc[1 + kMaxInDim] = {};
  auto add = [&](const FirstGrads& r) {
#pragma unroll
    for (int q = 0; q < 1 + kMaxInDim; ++q) acc[q] += r.v[q];
  };
  if (live) {
    if constexpr (MODE == int(JetMode::Value)) {
      const FirstFeature f = first_feature(a, i);  // the thread's feature, for all its samples
      sample_loop(
          a.n, [&](size_t s) { return first_value_adjoint_load(a, s, i, f); },
          [&](size_t, const FirstValueAdjIn& in) { add(first_value_adjoint_grads<SINE>(a, in)); });
    } else {
      for (size_t s = first_sample(); s < a.n; s += sample_stride()) add(first_backward_at<MODE, SINE>(a, s, i));
    }
  }
  block_sums_to_partials(acc, 1 + a.d, shared, partials, a.w, i, live);  // the bias, then W's d columns
}

// The reverse path's elementwise operations (jet_kernels.h's rev_load and rev_*_store), (feature,
// sample) tiled as the activation kernels: those that sum nothing (the gradient sweep, OP Delta, and
// its adjoint, Up, on a layer without fused ends) here; those that do (Down, Turn, and Up with fused
// ends) in rev_reduce_kernel below, which puts its per-feature sums into the partials as
// first_backward_kernel. Its accumulators are kRevMaxSums, known at compile time: one for the
// plain down kernel, as before the fused ends.
template <RevOp OP, bool SINE, bool HALF>
__global__ void __launch_bounds__(kThreads) rev_sweep_kernel(Stored<RevLayer, HALF> a) {
  constexpr int V = kPerThread<HALF>;
  const int i = feature() * V;
  if (i >= a.w) return;
  features_sample_loop<V>(
      a.n, i, a.w, [&](size_t s, int v) { return rev_load<OP>(a, s, i + v); },
      [&](size_t s, int v, const RevIn& in) {
        if constexpr (OP == RevOp::Delta)
          rev_delta_store<SINE>(a, s, i + v, in);
        else
          (void)rev_up_store<SINE>(a, s, i + v, in);
      });
}

template <RevOp OP, bool SINE, int FUSE, bool HALF>
__global__ void __launch_bounds__(kThreads) rev_reduce_kernel(Stored<RevLayer, HALF> a, float* partials) {
  constexpr int kSums = kRevMaxSums<OP, FUSE>;
  constexpr int V = kPerThread<HALF>;
  __shared__ float shared[kThreads];
  const int i = feature() * V;
  float acc[V][kSums] = {};
  // A fused first layer's constants of the thread's features, loaded once for all its samples.
  FirstFeature ff[V];
  if constexpr ((FUSE & kFuseFirst) != 0) {
#pragma unroll
    for (int v = 0; v < V; ++v)
      if (i + v < a.w) ff[v] = first_feature(a.first, i + v);
  }
  if (i < a.w)
    features_sample_loop<V>(
        a.n, i, a.w,
        [&](size_t s, int v) { return rev_load<OP, FUSE>(a, s, i + v, (FUSE & kFuseFirst) ? &ff[v] : nullptr); },
        [&](size_t s, int v, const RevIn& in) {
          FeatureSums r;
          if constexpr (OP == RevOp::Up)
            r = rev_up_store<SINE, FUSE>(a, s, i + v, in);
          else if constexpr (OP == RevOp::Turn)
            r = rev_turn_store<SINE, FUSE>(a, s, i + v, in);
          else
            r = rev_down_store<SINE, FUSE>(a, s, i + v, in);
#pragma unroll
          for (int q = 0; q < kSums; ++q) acc[v][q] += r.v[q];
        });
#pragma unroll
  for (int v = 0; v < V; ++v)
    block_sums_to_partials(acc[v], rev_quantities<OP, FUSE>(a.d), shared, partials, a.w, i + v, i + v < a.w);
}

// The fused ends' sums over each sample's features (jet_kernels.h's rev_phi_store and
// rev_grad_phi_terms): a warp per sample, its lanes over the features (coalesced, as the tiled
// kernels' rows), the lanes' sums added by shuffles in a fixed order. Launched with 1-D blocks.
constexpr int kWarp = 32;
static_assert(kThreads % kWarp == 0, "the warp-per-sample kernels need whole warps");
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = kWarp / 2; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}
__device__ __forceinline__ size_t warp_index() { return (size_t(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; }
__device__ __forceinline__ size_t warp_count() { return size_t(gridDim.x) * blockDim.x / kWarp; }

// A lane's features of one sample, kFeatureBatch at a time (batched_samples over the features):
// load(i) for each, then store(i, loaded). V > 1 (half storage): the lane's features come in
// groups of V consecutive ones (lane V, V + 1, ...; then 32 V further), which share the index
// arithmetic as in features_sample_loop.
template <int V, class Load, class Store>
__device__ __forceinline__ void lane_features(int lane, int w, Load load, Store store) {
  static_assert(kFeatureBatch % V == 0, "whole groups per batch");
  batched_samples<kFeatureBatch / V>(
      size_t(lane), kWarp, size_t((w + V - 1) / V),
      [&](size_t g) { return load_group<V>(int(g) * V, w, [&](int v) { return load(int(g) * V + v); }); },
      [&](size_t g, const auto& r) {
        store_group<V>(int(g) * V, w, r, [&](int v, const auto& in) { store(int(g) * V + v, in); });
      });
}

template <bool SINE, int FUSE, bool HALF>
__global__ void __launch_bounds__(kThreads) rev_phi_kernel(Stored<RevLayer, HALF> a, const float* out_bias,
                                                           float* out) {
  const int lane = int(threadIdx.x % kWarp);
  const float b = *out_bias;
  for (size_t s = warp_index(); s < a.n; s += warp_count()) {  // the same s across the warp
    float acc = 0.0f;
    // The lane's features in batches, their loads before the delta stores (which they would wait
    // for otherwise: the pointers may alias).
    lane_features<kPerThread<HALF>>(
        lane, a.w, [&](int i) { return rev_load<RevOp::Delta, FUSE>(a, s, i); },
        [&](int i, const RevIn& in) { acc += rev_phi_store<SINE, FUSE>(a, s, i, in); });
    acc = warp_sum(acc);
    if (lane == 0) out[s * size_t(1 + a.d)] = acc + b;
  }
}

template <bool SINE, int FUSE, bool HALF>
__global__ void __launch_bounds__(kThreads) rev_grad_phi_kernel(Stored<RevLayer, HALF> a, float* out) {
  const int lane = int(threadIdx.x % kWarp);
  for (size_t s = warp_index(); s < a.n; s += warp_count()) {
    float acc[kMaxInDim] = {};
    lane_features<kPerThread<HALF>>(
        lane, a.w, [&](int i) { return rev_load<RevOp::Delta, FUSE>(a, s, i); },
        [&](int i, const RevIn& in) {
          const FeatureSums r = rev_grad_phi_terms<SINE>(a, i, in);
#pragma unroll
          for (int k = 0; k < kMaxInDim; ++k) acc[k] += r.v[k];
        });
#pragma unroll
    for (int k = 0; k < kMaxInDim; ++k) {
      const float v = warp_sum(acc[k]);
      if (lane == 0 && k < a.d) out[s * size_t(1 + a.d) + 1 + size_t(k)] = v;
    }
  }
}

// The jets path's fused output layer (jet_kernels.h's OutLayer): forward a warp per sample as
// rev_phi_kernel, its c sums by shuffles; the adjoint (feature, sample) tiled as rev_reduce_kernel,
// its 1 + c sums per feature into the partials.
template <bool SINE>
__global__ void __launch_bounds__(kThreads) out_forward_kernel(OutLayer a) {
  const int lane = int(threadIdx.x % kWarp);
  for (size_t s = warp_index(); s < a.n; s += warp_count()) {  // the same s across the warp
    float acc[kMaxFusedOutputs] = {};
    // The lane's features change with each batch; their columns of W_L are read after the batch's
    // loads of z (from cache: the lanes read consecutive columns), which keeps the batch's registers
    // to z alone.
    batched_samples<kFeatureBatch>(
        size_t(lane), kWarp, size_t(a.w), [&](size_t i) { return out_load<false>(a, s, int(i), a.bias[i]); },
        [&](size_t i, const OutIn& in) {
          const FeatureSums r = out_forward_terms<SINE>(a, in, out_feature(a, int(i)));
#pragma unroll
          for (int k = 0; k < kMaxFusedOutputs; ++k) acc[k] += r.v[k];
        });
#pragma unroll
    for (int k = 0; k < kMaxFusedOutputs; ++k) {
      if (k >= a.c) break;  // a.c is the same across the warp: the shuffles stay whole-warp
      const float v = warp_sum(acc[k]);
      if (lane == 0) a.out[s * size_t(a.c) + size_t(k)] = v + a.b_out[k];
    }
  }
}

template <bool SINE>
__global__ void __launch_bounds__(kThreads) out_backward_kernel(OutLayer a, float* partials) {
  constexpr int kSums = 1 + kMaxFusedOutputs;
  __shared__ float shared[kThreads];
  const int i = feature();
  const bool live = i < a.w;
  float acc[kSums] = {};
  if (live) {
    const OutFeature f = out_feature(a, i);  // the thread's feature, for all its samples
    sample_loop(
        a.n, [&](size_t s) { return out_load<true>(a, s, i, f.b); },
        [&](size_t s, const OutIn& in) {
          const FeatureSums r = out_backward_store<SINE>(a, s, i, in, f);
#pragma unroll
          for (int q = 0; q < kSums; ++q) acc[q] += r.v[q];
        });
  }
  block_sums_to_partials(acc, 1 + a.c, shared, partials, a.w, i, live);
}

__global__ void __launch_bounds__(kThreads) rev_input_gradient_kernel(RevInput a) {
  const int k = feature();
  if (k >= a.d) return;
  for (size_t s = first_sample(); s < a.n; s += sample_stride()) rev_input_gradient_at(a, s, k);
}

__global__ void __launch_bounds__(kThreads) rev_direction_kernel(RevInput a) {
  const int f = feature();
  if (f >= a.e) return;
  for (size_t s = first_sample(); s < a.n; s += sample_stride()) rev_direction_at(a, s, f);
}

template <int MODE>
__global__ void __launch_bounds__(kThreads) encode_kernel(Encode a) {
  const int f = feature();
  if (f >= a.e) return;
  for (size_t s = first_sample(); s < a.n; s += sample_stride()) encode_at<MODE>(a, s, f);
}

__global__ void __launch_bounds__(kThreads) add_value_bias_kernel(float* out, const float* b, size_t n, int rows, int c) {
  const int ch = feature();
  if (ch >= c) return;
  for (size_t s = first_sample(); s < n; s += sample_stride()) add_value_bias_at(out, b, rows, c, s, ch);
}

__global__ void __launch_bounds__(kThreads) value_row_sums_kernel(const float* m, size_t n, int rows, int w,
                                                                  float* partials) {
  __shared__ float shared[kThreads];
  const int i = feature();
  const bool live = i < w;
  float acc = 0.0f;
  if (live)
    for (size_t s = first_sample(); s < n; s += sample_stride()) acc += m[s * size_t(rows) * size_t(w) + size_t(i)];
  block_sum_y(acc, shared, partials, size_t(blockIdx.y) * size_t(w) + size_t(i), live);
}

// dst[e] += the sum of the slices' partial products at e, in slice order (JetExec::add_slices).
__global__ void __launch_bounds__(kThreads) add_slices_kernel(const float* parts, int count, size_t len, float* dst) {
  for (size_t e = size_t(blockIdx.x) * kThreads + threadIdx.x; e < len; e += size_t(gridDim.x) * kThreads) {
    float acc = 0.0f;
    for (int j = 0; j < count; ++j) acc += parts[size_t(j) * len + e];
    dst[e] += acc;
  }
}

// Adds the partials [blocks][quantities][w] over blocks into the target, in a fixed order: block
// (32, 8), thread (x, y) sums blocks y, y + 8, ... of feature blockIdx.x * 32 + x, quantity blockIdx.y.
__global__ void __launch_bounds__(kThreads) reduce_partials_kernel(const float* partials, int blocks, int w,
                                                                   ReduceTarget t) {
  __shared__ float shared[8][32];
  const int i = int(blockIdx.x) * 32 + int(threadIdx.x);
  const int q = int(blockIdx.y);
  float acc = 0.0f;
  if (i < w)
    for (int g = int(threadIdx.y); g < blocks; g += 8)
      acc += partials[(size_t(g) * size_t(t.quantities) + size_t(q)) * size_t(w) + size_t(i)];
  shared[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && i < w) {
    float sum = shared[0][threadIdx.x];
    for (int y = 1; y < 8; ++y) sum += shared[y][threadIdx.x];
    t.dst[q][size_t(i) * size_t(t.stride[q])] += sum * t.scale;
  }
}

__global__ void __launch_bounds__(kThreads) loss_kernel(LossArgs a, double* partials) {
  double acc = 0;
  for (size_t s = size_t(blockIdx.x) * kThreads + threadIdx.x; s < a.n; s += size_t(gridDim.x) * kThreads)
    acc += loss_at(a, s);
  const double sum = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// One block: *target += the sum of partials[0..count).
__global__ void __launch_bounds__(kThreads) add_partials_kernel(const double* partials, int count, double* target) {
  double acc = 0;
  for (int k = int(threadIdx.x); k < count; k += kThreads) acc += partials[k];
  const double sum = block_sum(acc);
  if (threadIdx.x == 0) *target += sum;
}

__global__ void __launch_bounds__(kThreads) sqnorm_kernel(const float* g, size_t n, double* partials) {
  double acc = 0;
  for (size_t i = size_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += size_t(gridDim.x) * kThreads)
    acc += double(g[i]) * double(g[i]);
  const double sum = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void __launch_bounds__(kThreads) adam_prepare_kernel(const AdamHyper* hyper, StepCounters* counters,
                                                                const double* norm_partials, int norm_count,
                                                                AdamScalars* scalars, bool check_finite) {
  double acc = 0;
  for (int k = int(threadIdx.x); k < norm_count; k += kThreads) acc += norm_partials[k];
  const double sq = block_sum(acc);
  if (threadIdx.x == 0) {
    counters->draws += 1;
    *scalars = adam_step_scalars(*hyper, counters->t, counters->overflows, sq, check_finite);
  }
}

__global__ void __launch_bounds__(kThreads) adam_kernel(const AdamHyper* hyper, const AdamScalars* scalars, float* p,
                                                        float* m, float* v, const float* g, size_t n) {
  const AdamHyper h = *hyper;
  const AdamScalars sc = *scalars;
  if (sc.skip) return;
  for (size_t i = size_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += size_t(gridDim.x) * kThreads)
    adam_at(h, sc, p, m, v, g, i);
}

__global__ void finish_step_kernel(const StepCounters* counters, double* loss_sum, double factor, StepReport* report) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    // The steps over the trainer's life (the draws: never reset), as the CPU trainer's StepStats::step;
    // not Adam's t, which set_parameters() restarts (the session's history and divergence guard need
    // step numbers that keep growing across a restore).
    report->step = counters->draws;
    report->loss = *loss_sum * factor;
    report->overflows = counters->overflows;
    *loss_sum = 0;
  }
}

__global__ void __launch_bounds__(kThreads) sdf_batch_kernel(SdfBatch a, const StepCounters* counters) {
  const unsigned long long draw = counters->draws;
  for (size_t i = size_t(blockIdx.x) * kThreads + threadIdx.x; i < 2 * a.n; i += size_t(gridDim.x) * kThreads)
    sdf_batch_at(a, draw, i);
}

__global__ void __launch_bounds__(kThreads) sample_kernel(uint32_t* idx, size_t n, unsigned long long count,
                                                          unsigned long long seed, const StepCounters* counters) {
  const unsigned long long draw = counters->draws;
  for (size_t i = size_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += size_t(gridDim.x) * kThreads)
    idx[i] = sample_index_at(seed, draw, i, count);
}

// Element e of dst (cols x rows): a few weight matrices per step, too small for a tiled transpose to pay.
__global__ void __launch_bounds__(kThreads) round_transpose_kernel(const float* src, int rows, int cols, float* dst,
                                                                   bool half) {
  const size_t n = size_t(rows) * size_t(cols);
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += size_t(gridDim.x) * blockDim.x) {
    const size_t c = e / size_t(rows), r = e % size_t(rows);  // dst row c, column r
    const float v = src[r * size_t(cols) + c];
    store_at(dst, e, half ? v : round_tf32(v), half);
  }
}

__global__ void __launch_bounds__(kThreads) round_copy_kernel(const float* src, float* dst, size_t n, bool half) {
  for (size_t i = size_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += size_t(gridDim.x) * kThreads)
    store_at(dst, i, half ? src[i] : round_tf32(src[i]), half);
}

__global__ void __launch_bounds__(kThreads) extract_kernel(Extract a) {
  const int ch = feature();
  if (ch >= a.c) return;
  for (size_t s = first_sample(); s < a.n; s += sample_stride()) extract_at(a, s, ch);
}

// Dispatch on the jet mode (and on sine vs the other activations) to the template instances.
#define SIREN_JET_DISPATCH(mode, sine, LAUNCH) \
  switch (mode) {                              \
    case JetMode::Value:                       \
      if (sine) {                              \
        LAUNCH(0, true);                       \
      } else {                                 \
        LAUNCH(0, false);                      \
      }                                        \
      break;                                   \
    case JetMode::Gradient:                    \
      if (sine) {                              \
        LAUNCH(1, true);                       \
      } else {                                 \
        LAUNCH(1, false);                      \
      }                                        \
      break;                                   \
    case JetMode::Laplacian:                   \
      if (sine) {                              \
        LAUNCH(2, true);                       \
      } else {                                 \
        LAUNCH(2, false);                      \
      }                                        \
      break;                                   \
  }

}  // namespace

void check_cuda(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  std::string msg = std::string("CUDA: ") + what + " failed: " + cudaGetErrorName(err) + " (" +
                    std::to_string(int(err)) + "): " + cudaGetErrorString(err);
  if (err == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so that a retry starts clean
    throw OutOfDeviceMemory(msg);
  }
  throw Error(msg);
}

bool kernels_loadable(std::string* why) {
  cudaFuncAttributes attr;
  const cudaError_t err = cudaFuncGetAttributes(&attr, act_forward_kernel<0, true, false>);
  if (err == cudaSuccess) return true;
  (void)cudaGetLastError();
  if (why)
    *why = std::string("this program has no kernels for the GPU's architecture (") + cudaGetErrorName(err) +
           ": " + cudaGetErrorString(err) + "); rebuild with its compute capability in CMAKE_CUDA_ARCHITECTURES";
  return false;
}

CudaExec::CudaExec(cudaStream_t stream, const Cublas& blas, cublasHandle_t handle, int sm_count)
    : stream_(stream), blas_(blas), handle_(handle), sm_count_(std::max(sm_count, 1)) {}

size_t CudaExec::scratch_floats(const NetworkConfig& cfg, int sm_count) {
  return reduction_scratch_floats(cfg, sm_count);
}

size_t CudaExec::scratch_doubles() { return size_t(kMaxLossBlocks); }

void CudaExec::launched(const char* what) const {
  check_cuda(cudaGetLastError(), what);
  if (profiler_) profiler_->mark(what);
}

void CudaExec::reduce_partials(int blocks, int w, const ReduceTarget& t, const char* what) {
  reduce_partials_kernel<<<dim3(unsigned((w + 31) / 32), unsigned(t.quantities)), dim3(32, 8), 0, stream_>>>(
      partials_, blocks, w, t);
  launched(what);
}

void CudaExec::reduce_feature_partials(int blocks, int w, float* dst, const char* what) {
  ReduceTarget target;
  target.add(dst, 1);
  reduce_partials(blocks, w, target, what);
}

void CudaExec::gemm(const GemmCall& g) {
  // Half storage: FP16 operands (and C where half_c), FP32 accumulation and scalars. The strides
  // and leading dimensions are in elements, whatever their size.
  const cublasComputeType_t compute =
      g.tf32_ok && !g.half_ab ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  if (g.half_c && !g.half_ab) throw Error("internal: an FP16 product needs FP16 operands");
  const cudaDataType_t ab = g.half_ab ? CUDA_R_16F : CUDA_R_32F, c = g.half_c ? CUDA_R_16F : CUDA_R_32F;
  const cublasOperation_t ta = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (g.batch > 1)
    check_cublas(blas_,
                 blas_.gemm_strided_batched_ex(handle_, ta, tb, g.m, g.n, g.k, &g.alpha, g.a, ab, g.lda,
                                               static_cast<long long>(g.stride_a), g.b, ab, g.ldb,
                                               static_cast<long long>(g.stride_b), &g.beta, g.c, c, g.ldc,
                                               static_cast<long long>(g.stride_c), g.batch, compute,
                                               CUBLAS_GEMM_DEFAULT),
                 "batched GEMM");
  else
    check_cublas(blas_,
                 blas_.gemm_ex(handle_, ta, tb, g.m, g.n, g.k, &g.alpha, g.a, ab, g.lda, g.b, ab, g.ldb, &g.beta, g.c,
                               c, g.ldc, compute, CUBLAS_GEMM_DEFAULT),
                 "GEMM");
  if (profiler_)
    profiler_->mark("GEMM " + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k) + " " +
                    (g.trans_a ? "T" : "N") + (g.trans_b ? "T" : "N") +
                    (g.half_ab ? (g.half_c ? " fp16" : " fp16->fp32") : g.tf32_ok ? " tf32" : "") +
                    (g.batch > 1 ? " x" + std::to_string(g.batch) : ""));
}

void CudaExec::encode(JetMode mode, const Encode& a) {
  const Tiling t = tiling(a.e, a.n, elementwise_cap(sm_count_));
  switch (mode) {
    case JetMode::Value: encode_kernel<0><<<t.grid, t.block, 0, stream_>>>(a); break;
    case JetMode::Gradient: encode_kernel<1><<<t.grid, t.block, 0, stream_>>>(a); break;
    case JetMode::Laplacian: encode_kernel<2><<<t.grid, t.block, 0, stream_>>>(a); break;
  }
  launched("input encoding kernel");
}

void CudaExec::first_forward(JetMode mode, const FirstLayer& a) {
  const Tiling t = tiling(a.w, a.n, elementwise_cap(sm_count_), features_per_thread(a.half));
  const bool sine = a.act == Activation::Sine;
  if (a.half) {
    check_half(mode == JetMode::Value && sine, "first layer");
    first_forward_kernel<0, true, true><<<t.grid, t.block, 0, stream_>>>(a);
  } else {
#define SIREN_LAUNCH(M, S) first_forward_kernel<M, S, false><<<t.grid, t.block, 0, stream_>>>(a)
    SIREN_JET_DISPATCH(mode, sine, SIREN_LAUNCH)
#undef SIREN_LAUNCH
  }
  launched("first layer kernel");
}

void CudaExec::first_backward(JetMode mode, const FirstLayer& a, const ReduceTarget& target) {
  const Tiling t = tiling(a.w, a.n, reduce_cap(sm_count_));
  const bool sine = a.act == Activation::Sine;
#define SIREN_LAUNCH(M, S) first_backward_kernel<M, S><<<t.grid, t.block, 0, stream_>>>(a, partials_)
  SIREN_JET_DISPATCH(mode, sine, SIREN_LAUNCH)
#undef SIREN_LAUNCH
  launched("first layer adjoint kernel");
  reduce_partials(int(t.grid.y), a.w, target, "first layer gradient reduction");
}

void CudaExec::act_forward(JetMode mode, const ActForward& a) {
  const Tiling t = tiling(a.w, a.n, elementwise_cap(sm_count_), features_per_thread(a.half));
  const bool sine = a.act == Activation::Sine;
  if (a.half) {
    check_half(mode == JetMode::Value && sine, "activation");
    act_forward_kernel<0, true, true><<<t.grid, t.block, 0, stream_>>>(a);
  } else {
#define SIREN_LAUNCH(M, S) act_forward_kernel<M, S, false><<<t.grid, t.block, 0, stream_>>>(a)
    SIREN_JET_DISPATCH(mode, sine, SIREN_LAUNCH)
#undef SIREN_LAUNCH
  }
  launched("activation kernel");
}

void CudaExec::act_backward(JetMode mode, const ActBackward& a, float* bias_grad) {
  const Tiling t = tiling(a.w, a.n, reduce_cap(sm_count_));
  const bool sine = a.act == Activation::Sine;
#define SIREN_LAUNCH(M, S) act_backward_kernel<M, S><<<t.grid, t.block, 0, stream_>>>(a, partials_)
  SIREN_JET_DISPATCH(mode, sine, SIREN_LAUNCH)
#undef SIREN_LAUNCH
  launched("activation adjoint kernel");
  reduce_feature_partials(int(t.grid.y), a.w, bias_grad, "bias gradient reduction");
}

void CudaExec::add_value_bias(float* out, const float* b, size_t n, int rows, int c) {
  const Tiling t = tiling(c, n, elementwise_cap(sm_count_));
  add_value_bias_kernel<<<t.grid, t.block, 0, stream_>>>(out, b, n, rows, c);
  launched("output bias kernel");
}

void CudaExec::add_slices(const float* parts, int count, size_t len, float* dst) {
  add_slices_kernel<<<linear_blocks(len, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(parts, count, len, dst);
  launched("weight gradient slices' sum");
}

void CudaExec::value_row_sums(const float* m, size_t n, int rows, int w, float* dst) {
  const Tiling t = tiling(w, n, reduce_cap(sm_count_));
  value_row_sums_kernel<<<t.grid, t.block, 0, stream_>>>(m, n, rows, w, partials_);
  launched("output bias gradient kernel");
  reduce_feature_partials(int(t.grid.y), w, dst, "output bias gradient reduction");
}

template <RevOp OP>
void CudaExec::rev_sweep(const RevLayer& a, const ReduceTarget& t, const char* what, const char* fused_what) {
  const bool sine = a.act == Activation::Sine;
  auto launch = [&](auto f) {
    constexpr int FUSE = decltype(f)::value;
    check_rev_op<OP, FUSE>(a, t);
    const char* name = FUSE == 0 || !fused_what ? what : fused_what;
    if constexpr ((OP == RevOp::Turn) != ((FUSE & kFuseOutput) != 0)) {
      (void)name;  // check_rev_op has thrown: up or down on a fused output layer, or a turn elsewhere
    } else if constexpr (kRevMaxSums<OP, FUSE> == 0) {
      const Tiling tl = tiling(a.w, a.n, elementwise_cap(sm_count_), features_per_thread(a.half));
      by_storage(a.half, sine, what, [&](auto s, auto h) {
        rev_sweep_kernel<OP, decltype(s)::value, decltype(h)::value><<<tl.grid, tl.block, 0, stream_>>>(a);
      });
      launched(name);
    } else {
      const Tiling tl = tiling(a.w, a.n, reduce_cap(sm_count_), features_per_thread(a.half));
      by_storage(a.half, sine, what, [&](auto s, auto h) {
        rev_reduce_kernel<OP, decltype(s)::value, FUSE, decltype(h)::value>
            <<<tl.grid, tl.block, 0, stream_>>>(a, partials_);
      });
      launched(name);
      reduce_partials(int(tl.grid.y), a.w, t,
                      OP != RevOp::Down          ? "fused ends' gradient reduction"
                      : (FUSE & kFuseFirst) != 0 ? "first layer gradient reduction"
                                                 : "bias gradient reduction");
    }
  };
  // The gradient sweep fuses nothing (W_L at the top is g on either path; a fused first layer's
  // step is rev_grad_phi, which check_rev_op holds it to).
  if constexpr (OP == RevOp::Delta)
    launch(std::integral_constant<int, 0>{});
  else
    with_fuse(a.fuse, launch);
}

void CudaExec::rev_delta(const RevLayer& a) { rev_sweep<RevOp::Delta>(a, ReduceTarget{}, "gradient sweep kernel"); }

void CudaExec::rev_up(const RevLayer& a, const ReduceTarget& t) {
  rev_sweep<RevOp::Up>(a, t, "gradient sweep adjoint kernel", "gradient sweep adjoint kernel, fused end");
}

void CudaExec::rev_down(const RevLayer& a, const ReduceTarget& t) {
  rev_sweep<RevOp::Down>(a, t, "reverse adjoint kernel", "reverse adjoint kernel, fused end");
}

void CudaExec::rev_turn(const RevLayer& a, const ReduceTarget& t) {
  rev_sweep<RevOp::Turn>(a, t, "turn kernel, fused end");
}

void CudaExec::rev_phi(const RevLayer& a, const float* out_bias, float* out) {
  if ((a.fuse & kFuseOutput) == 0 || !a.top) throw Error("internal: rev_phi is a fused output layer's");
  const unsigned blocks = linear_blocks(a.n * kWarp, elementwise_cap(sm_count_));
  with_fuse(a.fuse, [&](auto f) {
    constexpr int FUSE = decltype(f)::value;
    if constexpr ((FUSE & kFuseOutput) != 0) {
      by_storage(a.half, a.act == Activation::Sine, "output kernel", [&](auto s, auto h) {
        rev_phi_kernel<decltype(s)::value, FUSE, decltype(h)::value>
            <<<blocks, kThreads, 0, stream_>>>(a, out_bias, out);
      });
    }
  });
  launched("output kernel, fused end");
}

void CudaExec::rev_grad_phi(const RevLayer& a, float* out) {
  if ((a.fuse & kFuseFirst) == 0) throw Error("internal: rev_grad_phi is a fused first layer's");
  const unsigned blocks = linear_blocks(a.n * kWarp, elementwise_cap(sm_count_));
  by_storage(a.half, a.act == Activation::Sine, "input gradient kernel", [&](auto s, auto h) {
    rev_grad_phi_kernel<decltype(s)::value, kFuseFirst, decltype(h)::value><<<blocks, kThreads, 0, stream_>>>(a, out);
  });
  launched("input gradient kernel, fused end");
}

void CudaExec::out_forward(const OutLayer& a) {
  if (a.c < 1 || a.c > kMaxFusedOutputs) throw Error("internal: a fused output layer has 1 to 4 outputs");
  const unsigned blocks = linear_blocks(a.n * kWarp, elementwise_cap(sm_count_));
  if (a.act == Activation::Sine)
    out_forward_kernel<true><<<blocks, kThreads, 0, stream_>>>(a);
  else
    out_forward_kernel<false><<<blocks, kThreads, 0, stream_>>>(a);
  launched("output kernel, fused end");
}

void CudaExec::out_backward(const OutLayer& a, const ReduceTarget& t) {
  if (a.c < 1 || a.c > kMaxFusedOutputs || t.quantities != 1 + a.c)
    throw Error("internal: a fused output layer's sums do not match their targets");
  const Tiling tl = tiling(a.w, a.n, reduce_cap(sm_count_));
  if (a.act == Activation::Sine)
    out_backward_kernel<true><<<tl.grid, tl.block, 0, stream_>>>(a, partials_);
  else
    out_backward_kernel<false><<<tl.grid, tl.block, 0, stream_>>>(a, partials_);
  launched("output adjoint kernel, fused end");
  reduce_partials(int(tl.grid.y), a.w, t, "fused output gradient reduction");
}

void CudaExec::rev_input_gradient(const RevInput& a) {
  const Tiling t = tiling(a.d, a.n, elementwise_cap(sm_count_));
  rev_input_gradient_kernel<<<t.grid, t.block, 0, stream_>>>(a);
  launched("input gradient kernel");
}

void CudaExec::rev_direction(const RevInput& a) {
  const Tiling t = tiling(a.e, a.n, elementwise_cap(sm_count_));
  rev_direction_kernel<<<t.grid, t.block, 0, stream_>>>(a);
  launched("input gradient adjoint kernel");
}

void CudaExec::loss(const LossArgs& a, double* loss_sum) {
  const unsigned blocks = linear_blocks(a.n, kMaxLossBlocks);
  loss_kernel<<<blocks, kThreads, 0, stream_>>>(a, loss_partials_);
  launched("loss kernel");
  add_partials_kernel<<<1, kThreads, 0, stream_>>>(loss_partials_, int(blocks), loss_sum);
  launched("loss reduction");
}

void CudaExec::round_transpose(const float* src, int rows, int cols, float* dst, bool half) {
  const size_t n = size_t(rows) * size_t(cols);
  round_transpose_kernel<<<linear_blocks(n, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(src, rows, cols, dst,
                                                                                                 half);
  launched(half ? "FP16 transposed weights" : "TF32 transposed weights");
}

void CudaExec::round_copy(const float* src, float* dst, size_t n, bool half) {
  round_copy_kernel<<<linear_blocks(n, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(src, dst, n, half);
  launched(half ? "FP16 weight copy" : "TF32 parameter copy");
}

void CudaExec::sample(uint32_t* idx, size_t n, uint64_t count, uint64_t seed, const StepCounters* counters) {
  sample_kernel<<<linear_blocks(n, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(
      idx, n, static_cast<unsigned long long>(count), static_cast<unsigned long long>(seed), counters);
  launched("sampling kernel");
}

int CudaExec::grad_sqnorm(const float* g, size_t n) {
  const unsigned blocks = linear_blocks(n, kMaxLossBlocks);
  sqnorm_kernel<<<blocks, kThreads, 0, stream_>>>(g, n, loss_partials_);
  launched("gradient norm kernel");
  return int(blocks);
}

void CudaExec::adam_prepare(const AdamHyper* hyper, StepCounters* counters, int norm_partials, AdamScalars* scalars,
                            bool check_finite) {
  adam_prepare_kernel<<<1, kThreads, 0, stream_>>>(hyper, counters, loss_partials_, norm_partials, scalars,
                                                   check_finite);
  launched("Adam prologue");
}

void CudaExec::adam(const AdamHyper* hyper, const AdamScalars* scalars, float* params, float* m, float* v,
                    const float* grads, size_t n) {
  adam_kernel<<<linear_blocks(n, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(hyper, scalars, params, m, v,
                                                                                      grads, n);
  launched("Adam kernel");
}

void CudaExec::finish_step(const StepCounters* counters, double* loss_sum, double factor, StepReport* report) {
  finish_step_kernel<<<1, 32, 0, stream_>>>(counters, loss_sum, factor, report);
  launched("step report kernel");
}

void CudaExec::sdf_batch(const SdfBatch& a, const StepCounters* counters) {
  sdf_batch_kernel<<<linear_blocks(2 * a.n, elementwise_cap(sm_count_)), kThreads, 0, stream_>>>(a, counters);
  launched("SDF batch kernel");
}

void CudaExec::extract(const Extract& a) {
  const Tiling t = tiling(a.c, a.n, elementwise_cap(sm_count_));
  extract_kernel<<<t.grid, t.block, 0, stream_>>>(a);
  launched("output extraction kernel");
}

}  // namespace siren::cuda
