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

void OpProfiler::begin() {
  if (marks_.size() >= kFoldMarks) fold();
  marks_.push_back({std::string(), record()});
}

void OpProfiler::mark(const std::string& op) {
  if (marks_.empty()) begin();
  marks_.push_back({op, record()});
  if (marks_.size() >= kFoldMarks) {
    fold();
    begin();  // before the next operation is queued, so that its time counts from here
  }
}

void OpProfiler::fold() {
  std::vector<Mark> marks;
  marks.swap(marks_);  // cleared whatever happens below
  used_ = 0;
  check_cuda(cudaStreamSynchronize(stream_), "waiting for profiled operations");
  for (size_t i = 1; i < marks.size(); ++i) {
    if (marks[i].op.empty()) continue;
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, pool_[marks[i - 1].event], pool_[marks[i].event]), "profiling");
    OpTime* t = nullptr;
    for (OpTime& o : totals_)
      if (o.op == marks[i].op) t = &o;
    if (!t) {
      totals_.push_back({marks[i].op, 0, 0.0});
      t = &totals_.back();
    }
    t->calls += 1;
    t->ms += double(ms);
  }
}

std::vector<OpTime> OpProfiler::collect() {
  fold();
  std::vector<OpTime> out;
  out.swap(totals_);
  return out;
}

}  // namespace siren::cuda
