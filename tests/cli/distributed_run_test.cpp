// `sparsenas run` (and `space-stats`) on two ranks on localhost against one process (issue 15):
// training stages data-parallel, evaluation divided among the ranks, rank 0 alone writing the run
// directory; a two-rank run resumed by one process; a killed rank.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "sparsenas/core/fs.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/space/space_spec.h"
#include "sparsenas/train/checkpoint.h"
#include "support/checkpoint_compare.h"
#include "support/error_of.h"
#include "support/ranks.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace sparsenas::test;  // support/ranks.h, error_of.h
namespace rd = sparsenas::rundir;

const char* const kFashion = "/usr/share/datasets/fashion-mnist";

/// Every stage of `dir`'s manifest, with "done" status.
std::vector<std::string> done_stages(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& s : rd::read_manifest(dir / rd::kManifest).stages) {
    if (s.status == "done") names.push_back(s.name);
  }
  return names;
}

std::string both_logs(const fs::path& dir) {
  return read_text(dir / "rank0.log") + "\n--- rank 1 ---\n" + read_text(dir / "rank1.log");
}

/// A copy of run directory `from` at `to`, without `remove` (so that its stage runs again).
void copy_run(const fs::path& from, const fs::path& to, const std::string& remove) {
  fs::copy(from, to, fs::copy_options::recursive);
  fs::remove(to / remove);
}

// The tiny preset on one thread per process, with synchronised BN statistics in every training
// stage (sync_bn: the statistics of the global batch on every rank), so that two ranks train as
// one process does, up to float rounding; learning rates of 0.001, so that the parameters stay
// near where they started (at the preset's rates the ~6 steps of a stage amplify rounding until
// two one-process runs that differ only in the thread count differ by 2 in some parameters).
const std::string kConfig =
    R"({"teacher": {"sync_bn": true, "lr": 0.001}, "proxy": {"sync_bn": true, "lr": 0.001},
        "supernet": {"sync_bn": true, "lr": 0.001, "step_lr": 0.001}})";
std::string run_args(const fs::path& config, const fs::path& out, int threads = 1) {
  return "--dist-timeout 60 run --preset tiny --threads " + std::to_string(threads) + " --config " + config.string() +
         " --out " + out.string();
}

// Training: every training stage of a 2-rank run from the same inputs as a 1-rank run (a fresh
// start for teacher and proxy; the 1-rank run's teacher and sparse space for the supernet) gives
// the same parameters to float rounding. Evaluation: pairs, family and space-stats divided between
// 2 ranks on the 1-rank run's supernets give exactly the 1-rank results.
TEST(DistributedRunTest, TwoRanksRunLikeOneProcess) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  const fs::path config = dir.path() / "c.json", one = dir.path() / "one", two = dir.path() / "two";
  sparsenas::write_file_atomic(config, kConfig);
  ASSERT_EQ(wait_exit(spawn(run_args(config, one), {}, dir.path() / "one.log"), 300), 0)
      << read_text(dir.path() / "one.log");
  ASSERT_EQ(run_ranks(run_args(config, two), 2, dir.path(), 300), (std::vector<int>{0, 0})) << both_logs(dir.path());
  const std::vector<std::string> stages = done_stages(one);
  EXPECT_EQ(done_stages(two), stages);
  EXPECT_EQ(stages.back(), "report");
  // Rank 0 reports; rank 1 prints no result and no progress.
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "report " + (two / rd::kReport).string()));
  EXPECT_FALSE(contains(read_text(dir.path() / "rank1.log"), "report")) << read_text(dir.path() / "rank1.log");
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "data-parallel: 2 ranks"));

  // Training from the same inputs, against the rounding tolerance: how far one process moves
  // from itself when only its summation order changes (2 threads instead of 1), as in
  // TwoRanksWithSyncBnTrainLikeOneProcess (distributed_test.cpp). These small networks amplify
  // rounding: the measured differences are printed.
  const fs::path threads2 = dir.path() / "threads2";
  ASSERT_EQ(wait_exit(spawn(run_args(config, threads2, 2) + " --stop-after proxy", {}, dir.path() / "t2.log"), 300), 0)
      << read_text(dir.path() / "t2.log");
  for (const char* file : {rd::kTeacher, rd::kProxy}) {
    const double rounding = parameter_difference(one / file, threads2 / file);
    const double ranks = parameter_difference(one / file, two / file);
    std::cout << file << ": 2 ranks vs 1 process " << ranks << ", 2 threads vs 1 " << rounding << "\n";
    EXPECT_LE(ranks, 3 * rounding) << file;
  }
  // The supernet from the 1-rank run's teacher and sparse space (the rest of a 2-rank run need
  // not select the same networks: the pairs it fits on are measured on its own proxy).
  const fs::path supernet = dir.path() / "supernet", supernet2 = dir.path() / "supernet_threads2";
  copy_run(one, supernet, rd::kSupernet);
  copy_run(one, supernet2, rd::kSupernet);
  ASSERT_EQ(run_ranks(run_args(config, supernet), 2, dir.path(), 300), (std::vector<int>{0, 0}))
      << both_logs(dir.path());
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "proxy: done, unchanged (skipped)"));
  ASSERT_EQ(wait_exit(spawn(run_args(config, supernet2, 2), {}, dir.path() / "s2.log"), 300), 0)
      << read_text(dir.path() / "s2.log");
  {
    const double rounding = parameter_difference(one / rd::kSupernet, supernet2 / rd::kSupernet);
    const double ranks = parameter_difference(one / rd::kSupernet, supernet / rd::kSupernet);
    std::cout << "supernet.pt: 2 ranks vs 1 process " << ranks << ", 2 threads vs 1 " << rounding << "\n";
    EXPECT_LE(ranks, 3 * rounding);
  }

  // Evaluation on the same supernets: exactly the 1-rank numbers (each network is recalibrated
  // and evaluated whole by one rank, on the same images).
  const fs::path pairs = dir.path() / "pairs";
  copy_run(one, pairs, rd::kPairs);
  ASSERT_EQ(run_ranks(run_args(config, pairs) + " --stop-after pairs", 2, dir.path(), 300),
            (std::vector<int>{0, 0}))
      << both_logs(dir.path());
  EXPECT_EQ(read_text(pairs / rd::kPairs), read_text(one / rd::kPairs));
  EXPECT_EQ(read_text(pairs / rd::kPairsNoise), read_text(one / rd::kPairsNoise));

  const fs::path family = dir.path() / "family";
  copy_run(one, family, rd::kFamily);
  ASSERT_EQ(run_ranks(run_args(config, family), 2, dir.path(), 300), (std::vector<int>{0, 0}))
      << both_logs(dir.path());
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "supernet: done, unchanged (skipped)"));
  const auto rows1 = sparsenas::search::FamilyTable::read_csv(one / rd::kFamily).rows();
  const auto rows2 = sparsenas::search::FamilyTable::read_csv(family / rd::kFamily).rows();
  ASSERT_EQ(rows1.size(), rows2.size());
  ASSERT_GE(rows1.size(), 2u);  // something to divide
  for (size_t i = 0; i < rows1.size(); ++i) {
    EXPECT_EQ(rows1[i].arch, rows2[i].arch) << i;
    EXPECT_EQ(rows1[i].val_top1, rows2[i].val_top1) << i;
    EXPECT_EQ(rows1[i].test_top1, rows2[i].test_top1) << i;  // latency: measured, differs
    EXPECT_TRUE(std::isnan(rows1[i].latency_ms) == std::isnan(rows2[i].latency_ms)) << i;  // rank 0 measured it
  }
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "family latency")) << both_logs(dir.path());
  EXPECT_EQ(read_text(family / rd::kFamilyCorrect), read_text(one / rd::kFamilyCorrect));

  // space-stats divides its networks too.
  const std::string stats = "space-stats --samples 3,5 --run ";
  ASSERT_EQ(wait_exit(spawn(stats + one.string(), {}, dir.path() / "stats.log"), 120), 0)
      << read_text(dir.path() / "stats.log");
  ASSERT_EQ(run_ranks(stats + family.string(), 2, dir.path(), 120), (std::vector<int>{0, 0})) << both_logs(dir.path());
  EXPECT_EQ(read_text(family / rd::kSpaceStatsJson), read_text(one / rd::kSpaceStatsJson));
  EXPECT_EQ(read_text(dir.path() / "rank1.log"), "");
}

// A 2-rank run killed in the middle of its proxy training (a checkpoint written) finishes in one
// process, from that checkpoint: the checkpoint holds the global batch's progress (epoch, step,
// sampler position), the same on every rank, so any number of ranks continues it.
TEST(DistributedRunTest, KilledTwoRankRunResumesInOneProcess) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  const fs::path config = dir.path() / "c.json", out = dir.path() / "run";
  sparsenas::write_file_atomic(config, kConfig);
  const std::vector<pid_t> pids = start_ranks(run_args(config, out), 2, dir.path());
  const bool started = wait_for_file(out / "proxy" / rd::kCheckpointFile, 300);
  for (pid_t pid : pids) kill(pid, SIGKILL);
  for (pid_t pid : pids) wait_exit(pid, 10);
  ASSERT_TRUE(started) << both_logs(dir.path());
  const auto killed = rd::read_manifest(out / rd::kManifest);
  ASSERT_NE(killed.find("proxy"), nullptr);
  EXPECT_EQ(killed.find("proxy")->status, "running");
  ASSERT_EQ(wait_exit(spawn(run_args(config, out), {}, dir.path() / "resume.log"), 300), 0)
      << read_text(dir.path() / "resume.log");
  const std::string log = read_text(dir.path() / "resume.log");
  EXPECT_TRUE(contains(log, "teacher: done, unchanged (skipped)")) << log;
  EXPECT_TRUE(contains(log, "proxy: continuing from")) << log;
  EXPECT_EQ(done_stages(out).back(), "report");
}

// A rank killed during `run` makes the other exit non-zero within the collective timeout, naming
// the collective, instead of hanging.
TEST(DistributedRunTest, KilledRankEndsTheRunInBoundedTime) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  const fs::path config = dir.path() / "c.json";
  sparsenas::write_file_atomic(config, kConfig);
  const std::string args =
      "--dist-timeout 5 run --preset tiny --threads 1 --config " + config.string() + " --out " +
      (dir.path() / "run").string();
  const std::vector<pid_t> pids = start_ranks(args, 2, dir.path());
  // Kill rank 1 once the proxy trains.
  const bool started = wait_for_file(dir.path() / "run" / "proxy", 300);
  kill(pids[1], SIGKILL);
  EXPECT_EQ(wait_exit(pids[1], 10), -SIGKILL);
  // Bounded: the 5 s timeout plus slack; a hang would hit 60 s and read 999.
  const int code = wait_exit(pids[0], 60);
  const std::string log = read_text(dir.path() / "rank0.log");
  ASSERT_TRUE(started) << log;
  EXPECT_EQ(code, 1) << log;
  EXPECT_TRUE(contains(log, "failed on rank 0 of 2")) << log;
  EXPECT_TRUE(contains(log, "--dist-timeout")) << log;
}

// What the ranks cannot share is refused on every rank before anything is written: no --out (the
// default names a timestamp), and ranks started with different settings.
TEST(DistributedRunTest, RanksThatCannotShareARunAreRefused) {
  TempDir dir;
  EXPECT_EQ(run_ranks("--dist-timeout 30 run --preset tiny --threads 1", 2, dir.path(), 60), (std::vector<int>{1, 1}));
  EXPECT_TRUE(contains(read_text(dir.path() / "rank0.log"), "sparsenas run on 2 processes needs --out"))
      << read_text(dir.path() / "rank0.log");
  if (!fs::exists(kFashion)) GTEST_SKIP() << "no Fashion-MNIST";
  const fs::path out = dir.path() / "run";
  const int port = free_port();
  const pid_t r0 = spawn("--dist-timeout 30 run --preset tiny --threads 1 --seed 1 --out " + out.string(),
                         rank_env(0, 2, port), dir.path() / "rank0.log");
  const pid_t r1 = spawn("--dist-timeout 30 run --preset tiny --threads 1 --seed 2 --out " + out.string(),
                         rank_env(1, 2, port), dir.path() / "rank1.log");
  EXPECT_EQ(wait_exit(r0, 60), 1);
  EXPECT_EQ(wait_exit(r1, 60), 1);
  EXPECT_TRUE(contains(read_text(dir.path() / "rank1.log"), "the ranks disagree on the run config"))
      << read_text(dir.path() / "rank1.log");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
