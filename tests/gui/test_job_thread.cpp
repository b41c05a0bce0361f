// JobThread's ordering and its "finished through" marks, which decide when a retired mode may be
// freed while the threads stay busy with the new mode's work.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "app/background.h"

namespace siren::studio {
namespace {

using namespace std::chrono_literals;

// Nothing running or waiting: every job posted so far has finished.
bool idle(const JobThread& thread) { return thread.finished_through(thread.mark()); }

// Polls `done` for up to 10 s: the worker runs on its own thread at a lowered priority.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

TEST(JobThread, RunsPostedJobsInOrder) {
  JobThread thread("test", 0);
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 20; ++i)
    thread.post([&, i] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    });
  ASSERT_TRUE(eventually([&] { return idle(thread); }));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[size_t(i)], i);
}

TEST(JobThread, LatestJobReplacesAWaitingOneOfTheSameKey) {
  JobThread thread("test", 0);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  thread.post([gate] { gate.wait(); });  // holds the thread while the keyed jobs queue up
  std::atomic<int> ran{0}, value{0};
  for (int i = 1; i <= 5; ++i)
    thread.post_latest(7, [&, i] {
      ++ran;
      value = i;
    });
  release.set_value();
  ASSERT_TRUE(eventually([&] { return idle(thread); }));
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(value.load(), 5);
}

TEST(JobThread, FinishedThroughAMarkWhileTheThreadStaysBusy) {
  JobThread thread("test", 0);
  std::promise<void> release_old;
  std::shared_future<void> old_gate = release_old.get_future().share();
  std::atomic<bool> old_done{false};
  thread.post([old_gate, &old_done] {
    old_gate.wait();
    old_done = true;
  });
  thread.post_latest(1, [] {});  // a keyed job before the mark, waiting behind the first
  const uint64_t mark = thread.mark();
  EXPECT_FALSE(thread.finished_through(mark));

  // Newer work that keeps the thread from going idle (a view's keyed job, as the new mode posts).
  // (FIFO jobs run before keyed ones, so a FIFO job posted now would run before the keyed job above.)
  std::promise<void> release_new;
  std::shared_future<void> new_gate = release_new.get_future().share();
  thread.post_latest(2, [new_gate] { new_gate.wait(); });
  EXPECT_FALSE(thread.finished_through(mark));

  release_old.set_value();
  ASSERT_TRUE(eventually([&] { return thread.finished_through(mark); }));
  EXPECT_TRUE(old_done.load());
  EXPECT_FALSE(idle(thread));  // the old way (wait for idle) would still be waiting here
  EXPECT_FALSE(thread.finished_through(thread.mark()));
  release_new.set_value();
  ASSERT_TRUE(eventually([&] { return idle(thread); }));
  EXPECT_TRUE(thread.finished_through(thread.mark()));
}

TEST(JobThread, AReplacedKeyedJobCountsAsFinishedWhileItsReplacementWaits) {
  JobThread thread("test", 0);
  std::promise<void> release, release_new;
  std::shared_future<void> gate = release.get_future().share(), new_gate = release_new.get_future().share();
  thread.post([gate] { gate.wait(); });
  thread.post_latest(3, [] {});
  const uint64_t mark = thread.mark();
  thread.post_latest(3, [new_gate] { new_gate.wait(); });  // replaces it, and holds the thread once it runs
  EXPECT_FALSE(thread.finished_through(mark));            // the first job (before the mark) still waits
  release.set_value();
  EXPECT_TRUE(eventually([&] { return thread.finished_through(mark); }));
  EXPECT_FALSE(idle(thread));  // the replacement (after the mark) is running or waiting
  release_new.set_value();
  ASSERT_TRUE(eventually([&] { return idle(thread); }));
}

// A replaced job may hold the last reference to a session, whose destructor waits for a training
// step: the worker destroys it, not the (UI) thread that posted its replacement.
TEST(JobThread, AReplacedJobIsDestroyedOnTheWorker) {
  struct Probe {
    Probe(std::atomic<bool>* d, std::thread::id* w) : done(d), where(w) {}
    std::atomic<bool>* done;
    std::thread::id* where;
    ~Probe() {
      *where = std::this_thread::get_id();
      *done = true;
    }
  };
  JobThread thread("test", 0);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  thread.post([gate] { gate.wait(); });
  std::atomic<bool> done{false};
  std::thread::id where;
  {
    auto probe = std::make_shared<Probe>(&done, &where);
    thread.post_latest(1, [probe] {});
  }
  thread.post_latest(1, [] {});  // replaces the job holding the last reference to the probe
  release.set_value();
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  EXPECT_NE(where, std::this_thread::get_id());
}

TEST(JobThread, AKeyedJobWaitingBehindNewerFifoWorkIsNotFinished) {
  JobThread thread("test", 0);
  std::promise<void> r1, r2;
  std::shared_future<void> g1 = r1.get_future().share(), g2 = r2.get_future().share();
  std::atomic<bool> started2{false};
  thread.post([g1] { g1.wait(); });
  thread.post_latest(1, [] {});
  const uint64_t mark = thread.mark();
  thread.post([g2, &started2] {  // newer FIFO work runs before the keyed job
    started2 = true;
    g2.wait();
  });
  r1.set_value();
  ASSERT_TRUE(eventually([&] { return started2.load(); }));
  EXPECT_FALSE(thread.finished_through(mark));  // the keyed job (before the mark) has not run
  r2.set_value();
  EXPECT_TRUE(eventually([&] { return thread.finished_through(mark); }));
}

TEST(JobThread, FifoFirstThenKeysRoundRobin) {
  JobThread thread("test", 0);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::mutex mu;
  std::vector<int> order;
  auto record = [&](int v) {
    return [&, v] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(v);
    };
  };
  thread.post([gate] { gate.wait(); });
  thread.post_latest(2, record(2));
  thread.post_latest(1, record(1));
  thread.post(record(100));
  thread.post_latest(3, record(3));
  thread.post(record(101));
  release.set_value();
  ASSERT_TRUE(eventually([&] { return idle(thread); }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(order, (std::vector<int>{100, 101, 1, 2, 3}));
}

TEST(JobThread, NothingPostedIsFinished) {
  JobThread thread("test", 0);
  EXPECT_EQ(thread.mark(), 0u);
  EXPECT_TRUE(thread.finished_through(thread.mark()));
}

}  // namespace
}  // namespace siren::studio
