#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace siren::studio {

// Lowers the calling thread's scheduling priority by `nice` steps. Threads inherit it, so the
// training threads of sessions built on a lowered thread yield the CPU to the UI: the window keeps
// its frame rate on a 2-core machine while training takes whatever the UI leaves.
void lower_this_thread_priority(int nice);

// One thread that runs jobs in order, at a lowered priority. Keyed jobs are "latest wins": posting
// a job with a key that is still waiting replaces it, so a view asking ten times a second while the
// thread is busy gets one evaluation of its newest request, not a backlog.
class JobThread {
 public:
  JobThread(std::string name, int nice);
  ~JobThread();  // finishes the running job, drops those waiting
  JobThread(const JobThread&) = delete;
  JobThread& operator=(const JobThread&) = delete;

  void post(std::function<void()> job);
  void post_latest(int key, std::function<void()> job);

  // Jobs are numbered as they are posted. mark() is the number of the last one posted so far;
  // finished_through(m) says that every job numbered m or less has run or been dropped, however
  // many were posted since: how the owner of something older jobs may still touch learns when it
  // can free it, while the thread stays busy with newer work (finished_through(mark()): idle).
  uint64_t mark() const;
  bool finished_through(uint64_t mark) const;

 private:
  struct Job {
    uint64_t number = 0;
    std::function<void()> run;
  };
  void run(int nice);

  std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> fifo_;
  std::map<int, Job> latest_;
  std::vector<std::function<void()>> dropped_;  // replaced keyed jobs, for the worker to destroy
  int next_key_ = 0;  // round robin over keys, so one busy view cannot starve the others
  uint64_t posted_ = 0;
  uint64_t running_ = 0;  // the running job's number; 0: none
  bool quit_ = false;
  std::thread thread_;
};

// A result handed from a job to the UI thread.
template <typename T>
class Mailbox {
 public:
  void put(T value) {
    std::lock_guard<std::mutex> lock(mu_);
    value_ = std::move(value);
  }
  std::optional<T> take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<T> out = std::move(value_);
    value_.reset();
    return out;
  }

 private:
  std::mutex mu_;
  std::optional<T> value_;
};

}  // namespace siren::studio
