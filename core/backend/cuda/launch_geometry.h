#pragma once
// The launch geometry of the CUDA kernels' (feature, sample) tiles and their reductions' scratch, as
// plain C++: cuda_exec.cu launches with it, and the host emulation (tests/backend/cuda/host_exec.h)
// holds every reduction DeviceMlp asks for to the scratch the backend allocates, a bound no loop on
// the host would otherwise notice (a reduction with more per-feature sums than the scratch was sized
// for writes past it on a GPU).
#include <algorithm>
#include <cstddef>

#include "core/backend/cuda/jet_kernels.h"
#include "core/network/network_config.h"

namespace siren::cuda {

constexpr int kThreads = 256;
constexpr int kMaxReduceBlocks = 1024;  // partial sums of the feature reductions (grid.y)

// Blocks of kThreads threads: x across features (bx = the width rounded up to a warp, at most
// kThreads), y across samples (kThreads / bx of them); grid.x covers the features, grid.y strides
// over the samples, at most max_blocks blocks in all.
struct FeatureTiling {
  unsigned gx = 1, gy = 1, bx = 1, by = 1;
};
inline FeatureTiling feature_tiling(int w, size_t n, size_t max_blocks) {
  const int bx = std::min((w + 31) / 32 * 32, kThreads);
  const int by = kThreads / bx;
  const unsigned gx = unsigned((w + bx - 1) / bx);
  const size_t need = (n + size_t(by) - 1) / size_t(by);
  const size_t cap = std::max<size_t>(1, max_blocks / gx);
  const size_t gy = std::max<size_t>(1, std::min(std::min(need, cap), size_t(65535)));
  return {gx, unsigned(gy), unsigned(bx), unsigned(by)};
}

// Half storage's kernels run kHalfFeatures consecutive features per thread (cuda_exec.cu): thread x
// of the tiling of ceil(w / per_thread) feature groups takes features per_thread x .. per_thread x +
// per_thread - 1. Its grid.y is held to the one-feature tiling's, whose partials the reductions'
// scratch is sized for (reduce_partials, which the host emulation audits); elementwise launches,
// which have no partials, are held too, for one rule (at the SDF's width of 256 it changes none).
constexpr int kHalfFeatures = 2;
// Features per thread of a kernel on this storage: what the launch tiles for and the kernel takes.
constexpr int features_per_thread(bool half) { return half ? kHalfFeatures : 1; }
inline FeatureTiling feature_tiling(int w, size_t n, size_t max_blocks, int per_thread) {
  if (per_thread <= 1) return feature_tiling(w, n, max_blocks);
  FeatureTiling t = feature_tiling((w + per_thread - 1) / per_thread, n, max_blocks);
  t.gy = std::min(t.gy, feature_tiling(w, n, max_blocks).gy);
  return t;
}

// Grid caps: reductions keep their partials few (8 blocks per SM), elementwise kernels fill the GPU.
inline size_t reduce_cap(int sm_count) { return std::min<size_t>(kMaxReduceBlocks, size_t(std::max(sm_count, 1)) * 8); }
inline size_t elementwise_cap(int sm_count) { return size_t(std::max(sm_count, 1)) * 32; }

// Floats of the partial sums ([block][quantity][feature]) that a reduction of `quantities` sums per
// feature over n samples of w features writes.
inline size_t reduce_partials(int w, size_t n, int quantities, int sm_count) {
  return size_t(feature_tiling(w, n, reduce_cap(sm_count)).gy) * size_t(quantities) * size_t(w);
}

// The most per-feature sums a reduction of this network has: 1 + d (the first layer's gradient),
// 2 + d (a reverse-path turn on a layer that is both fused ends), 1 + c (the jets path's fused
// output layer, c at most kMaxFusedOutputs).
inline int max_reduction_quantities(const NetworkConfig& cfg) {
  return std::max(2 + cfg.in_dim, 1 + std::min(cfg.out_dim, kMaxFusedOutputs));
}

// The reductions' scratch for a network: the partials of its widest reduction at any sample count.
inline size_t reduction_scratch_floats(const NetworkConfig& cfg, int sm_count) {
  const size_t huge = size_t(1) << 40;
  return std::max(reduce_partials(cfg.hidden_features, huge, max_reduction_quantities(cfg), sm_count),
                  reduce_partials(cfg.out_dim, huge, 1, sm_count));
}

}  // namespace siren::cuda
