#pragma once
// Where a training step's GPU time goes, operation by operation (siren_bench_cuda --profile): an
// event after every kernel and GEMM of eager launches, the time between consecutive events charged
// to the later operation. Events between launches cost a little and a step cannot be a CUDA graph
// then, so a profiled step is slightly slower than a timed one; the bench prints both.
#include <cuda_runtime_api.h>

#include <string>
#include <vector>

#include "core/backend/cuda/cuda_backend.h"

namespace siren::cuda {

class OpProfiler {
 public:
  explicit OpProfiler(cudaStream_t stream) : stream_(stream) {}
  ~OpProfiler();
  OpProfiler(const OpProfiler&) = delete;
  OpProfiler& operator=(const OpProfiler&) = delete;

  // Before the first operation of a step: the time between steps (the host's) is charged to nothing.
  void begin();
  // After an operation was queued on the stream.
  void mark(const std::string& op);
  // Waits for the stream; each operation's calls and milliseconds since the last collect(), in the
  // order of their first appearance.
  std::vector<OpTime> collect();

 private:
  size_t record();
  // Waits for the stream and adds the marks' times to totals_ (every kFoldMarks marks, so that a
  // trainer profiled for long holds a bounded number of events).
  void fold();
  static constexpr size_t kFoldMarks = 4096;

  cudaStream_t stream_;
  std::vector<cudaEvent_t> pool_;
  size_t used_ = 0;
  struct Mark {
    std::string op;  // empty: a step's beginning
    size_t event;
  };
  std::vector<Mark> marks_;
  std::vector<OpTime> totals_;
};

}  // namespace siren::cuda
