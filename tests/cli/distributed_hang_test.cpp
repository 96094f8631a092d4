// Hung ranks (SIGSTOP) and long waits for rank 0, two ranks on localhost, seconds each: a stopped
// rank makes the other exit non-zero naming it, through the heartbeats (dist/world.h "Faults"),
// well before the collective timeout; a rank-0-only wait longer than the collective timeout does
// not trip it (barrier waits on the store, the heartbeats bound it).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "sparsenas/dist/world.h"
#include "support/error_of.h"
#include "support/ranks.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using sparsenas::test::contains;
using namespace sparsenas::test;  // support/ranks.h

const char* const kFashion = "/usr/share/datasets/fashion-mnist";

// Training long enough to stop a rank in the middle, with a collective timeout far beyond the test.
const std::string kLongTrain =
    "--dist-timeout 600 --dist-heartbeat-timeout 4 train --arch min --epochs 50 --batch-size 32 --train-limit 256 "
    "--val-size 64 --test-limit 64 --threads 1 --out ";

// Starts two ranks of kLongTrain, waits until rank 0 trains, stops rank `hung` with SIGSTOP and
// returns the other rank's exit code, seconds to exit, and log.
struct Outcome {
  int code;
  double seconds;
  std::string log;
};
Outcome stop_one(const fs::path& dir, int hung) {
  const int port = free_port();
  const std::string args = kLongTrain + (dir / "run").string();
  const pid_t r0 = spawn(args, rank_env(0, 2, port), dir / "rank0.log");
  const pid_t r1 = spawn(args, rank_env(1, 2, port), dir / "rank1.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!contains(read_text(dir / "rank0.log"), "epoch 1/50") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const pid_t stopped = hung == 0 ? r0 : r1, other = hung == 0 ? r1 : r0;
  kill(stopped, SIGSTOP);
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o;
  o.code = wait_exit(other, 90);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.log = read_text(dir / ("rank" + std::to_string(hung == 0 ? 1 : 0) + ".log"));
  kill(stopped, SIGKILL);
  wait_exit(stopped, 10);
  return o;
}

TEST(DistributedHangTest, StoppedRankEndsTheOtherNamingIt) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  const Outcome o = stop_one(dir.path(), 1);
  EXPECT_EQ(o.code, 1) << o.log;
  // Bounded by the 4 s heartbeat timeout (plus a poll period), not the 600 s collective timeout.
  EXPECT_LT(o.seconds, 30) << o.log;
  EXPECT_TRUE(contains(o.log, "rank 1 of 2 has sent no heartbeat for")) << o.log;
}

TEST(DistributedHangTest, StoppedRankZeroEndsTheOtherNamingIt) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  // Rank 0 hosts the store here (no torchrun agent): the others' calls to it time out, or its
  // heartbeat stops; either way the message names rank 0.
  const Outcome o = stop_one(dir.path(), 0);
  EXPECT_EQ(o.code, 1) << o.log;
  EXPECT_LT(o.seconds, 30) << o.log;
  EXPECT_TRUE(contains(o.log, "rank 0")) << o.log;
  EXPECT_TRUE(contains(o.log, "distributed heartbeat")) << o.log;
}

// The child processes of the next test: this test binary started again as two ranks.
TEST(DistributedHangTest, ChildWaitsForRankZeroAtABarrier) {
  if (std::getenv("SNAS_DIST_CHILD") == nullptr) GTEST_SKIP() << "run by LongRankZeroWaitDoesNotTripTheTimeout";
  sparsenas::dist::set_timeout_seconds(3);  // start-up included: a loaded machine needs about 1 s
  sparsenas::dist::set_heartbeat_timeout_seconds(20);
  sparsenas::dist::init();
  // Rank 0 works alone for over twice the collective timeout while rank 1 waits.
  if (sparsenas::dist::is_main()) std::this_thread::sleep_for(std::chrono::seconds(8));
  sparsenas::dist::barrier();
  const std::vector<double> ranks = sparsenas::dist::all_gather(sparsenas::dist::rank());
  EXPECT_EQ(ranks, (std::vector<double>{0, 1}));
  // The same wait at a collective does trip its timeout (so the barrier's tolerance is no accident).
  if (sparsenas::dist::is_main()) std::this_thread::sleep_for(std::chrono::seconds(8));
  const std::string e = sparsenas::test::error_of([] { sparsenas::dist::all_gather(1.0); });
  EXPECT_TRUE(contains(e, "distributed all_gather failed")) << e;
}

TEST(DistributedHangTest, LongRankZeroWaitDoesNotTripTheTimeout) {
  if (std::getenv("SNAS_DIST_CHILD") != nullptr) GTEST_SKIP() << "a child";
  TempDir dir;
  const int port = free_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < 2; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      for (const auto& [k, v] : rank_env(r, 2, port)) setenv(k.c_str(), v.c_str(), 1);
      setenv("SNAS_DIST_CHILD", "1", 1);
      const std::string log = (dir.path() / ("child" + std::to_string(r) + ".log")).string();
      const std::string command = "exec /proc/" + std::to_string(getppid()) +
                                  "/exe --gtest_filter=DistributedHangTest.ChildWaitsForRankZeroAtABarrier >" + log +
                                  " 2>&1";
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(wait_exit(pids[r], 60), 0) << "rank " << r << ":\n" << read_text(dir.path() / ("child" + std::to_string(r) + ".log"));
  }
  const std::string log1 = read_text(dir.path() / "child1.log");
  EXPECT_TRUE(contains(log1, "[  PASSED  ] 1 test")) << log1;
}

}  // namespace
