#include "core/backend/cuda/op_profiler.h"

#include "core/backend/cuda/cuda_exec.h"

namespace siren::cuda {

OpProfiler::~OpProfiler() {
  for (cudaEvent_t e : pool_) (void)cudaEventDestroy(e);
}

size_t OpProfiler::record() {
  if (used_ == pool_.size()) {
    cudaEvent_t e = nullptr;
    check_cuda(cudaEventCreate(&e), "creating a profiling event");
    pool_.push_back(e);
  }
  check_cuda(cudaEventRecord(pool_[used_], stream_), "recording a profiling event");
  return used_++;
}

void OpProfiler::begin() { marks_.push_back({std::string(), record()}); }

void OpProfiler::mark(const std::string& op) {
  if (marks_.empty()) begin();
  marks_.push_back({op, record()});
}

std::vector<OpTime> OpProfiler::collect() {
  check_cuda(cudaStreamSynchronize(stream_), "waiting for profiled operations");
  std::vector<OpTime> out;
  for (size_t i = 1; i < marks_.size(); ++i) {
    if (marks_[i].op.empty()) continue;
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, pool_[marks_[i - 1].event], pool_[marks_[i].event]), "profiling");
    OpTime* t = nullptr;
    for (OpTime& o : out)
      if (o.op == marks_[i].op) t = &o;
    if (!t) {
      out.push_back({marks_[i].op, 0, 0.0});
      t = &out.back();
    }
    t->calls += 1;
    t->ms += double(ms);
  }
  marks_.clear();
  used_ = 0;
  return out;
}

}  // namespace siren::cuda
