#include "app/background.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

namespace siren::studio {

void lower_this_thread_priority(int nice) {
  // On Linux a nice value belongs to a thread (its tid); raising it needs no privileges.
  const id_t tid = id_t(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno == 0) setpriority(PRIO_PROCESS, tid, current + nice);
}

JobThread::JobThread(std::string name, int nice) : name_(std::move(name)) {
  thread_ = std::thread([this, nice] { run(nice); });
}

JobThread::~JobThread() {
  std::deque<Job> fifo;
  std::map<int, Job> latest;
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
    fifo.swap(fifo_);  // destroyed below, outside the lock: a capture's destructor may take time
    latest.swap(latest_);
    dropped.swap(dropped_);
  }
  cv_.notify_all();
  thread_.join();
}

void JobThread::post(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  fifo_.push_back(Job{++posted_, std::move(job)});
  cv_.notify_all();
}

void JobThread::post_latest(int key, std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  Job& slot = latest_[key];
  // The replaced job is dropped unrun (it counts as finished) and destroyed by the worker, not here:
  // it may hold the last reference to a session, whose destructor waits for a training step, and
  // this is the UI thread.
  if (slot.run) dropped_.push_back(std::move(slot.run));
  slot = Job{++posted_, std::move(job)};
  cv_.notify_all();
}

uint64_t JobThread::mark() const {
  std::lock_guard<std::mutex> lock(mu_);
  return posted_;
}

bool JobThread::finished_through(uint64_t mark) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ != 0 && running_ <= mark) return false;
  if (!fifo_.empty() && fifo_.front().number <= mark) return false;  // the FIFO is in posting order
  for (const auto& entry : latest_)
    if (entry.second.number <= mark) return false;
  return true;
}

void JobThread::run(int nice) {
  lower_this_thread_priority(nice);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return quit_ || !fifo_.empty() || !latest_.empty() || !dropped_.empty(); });
    if (quit_) return;
    if (!dropped_.empty()) {
      std::vector<std::function<void()>> dead;
      dead.swap(dropped_);
      lock.unlock();
      dead.clear();
      lock.lock();
      continue;
    }
    Job job;
    if (!fifo_.empty()) {
      job = std::move(fifo_.front());
      fifo_.pop_front();
    } else {
      auto it = latest_.lower_bound(next_key_);
      if (it == latest_.end()) it = latest_.begin();
      next_key_ = it->first + 1;
      job = std::move(it->second);
      latest_.erase(it);
    }
    running_ = job.number;
    lock.unlock();
    try {
      job.run();
    } catch (const std::exception& e) {
      // Jobs report their own failures to the UI; this is the last line against a bug in one.
      std::fprintf(stderr, "siren-studio: %s job failed: %s\n", name_.c_str(), e.what());
    }
    job.run = nullptr;  // release what it captured (a session, say) off the UI thread
    lock.lock();
    running_ = 0;
  }
}

}  // namespace siren::studio
