// Unit tests for src/sparsenas/pipeline/subnet_evaluator.h: the resumable evaluation loop and the
// partial-file resume rule (the evaluator itself runs in every tiny-run test).
#include "sparsenas/pipeline/subnet_evaluator.h"

#include <gtest/gtest.h>

#include "sparsenas/core/fs.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/train/trainer.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::pipeline {
namespace {

TEST(ResumableLoopTest, EvaluatesFromDoneAndSavesEveryTenNetworks) {
  std::vector<size_t> evaluated;
  int saves = 0;
  ResumableLoop loop;
  loop.label = "pairs";
  loop.total = 25;
  loop.done = 3;
  std::vector<double> recorded;
  loop.measure = [&](size_t i) {
    evaluated.push_back(i);
    return std::vector<double>{0.5 * static_cast<double>(i), -1.0};
  };
  loop.record = [&](size_t i, const std::vector<double>& numbers) {
    ASSERT_EQ(numbers.size(), 2u);
    EXPECT_EQ(numbers[0], 0.5 * static_cast<double>(i));
    recorded.push_back(static_cast<double>(i));
  };
  loop.save = [&] { ++saves; };
  run_loop(loop);
  ASSERT_EQ(evaluated.size(), 22u);
  EXPECT_EQ(evaluated.front(), 3u);
  EXPECT_EQ(evaluated.back(), 24u);
  EXPECT_EQ(recorded.size(), 22u);
  EXPECT_EQ(saves, 2);  // after networks 10 and 20; the caller writes the whole table at the end
}

TEST(ResumableLoopTest, AStopSavesWhatIsDoneAndSaysHowToContinue) {
  int saves = 0;
  ResumableLoop loop;
  loop.label = "family";
  loop.total = 5;
  loop.measure = [&](size_t i) {
    if (i == 1) train::request_stop();
    return std::vector<double>{};
  };
  loop.record = [](size_t, const std::vector<double>&) {};
  loop.save = [&] { ++saves; };
  std::string e;
  try {
    run_loop(loop);
  } catch (const Interrupted& stop) {
    e = stop.what();
  }
  train::clear_stop_request();
  EXPECT_EQ(saves, 1);
  EXPECT_NE(e.find("interrupted during family (2 networks saved); rerun the same command"), std::string::npos) << e;
  // A loop that keeps nothing says so.
  loop.save = nullptr;
  loop.measure = [](size_t) {
    train::request_stop();
    return std::vector<double>{};
  };
  e.clear();
  try {
    run_loop(loop);
  } catch (const Interrupted& stop) {
    e = stop.what();
  }
  train::clear_stop_request();
  EXPECT_NE(e.find("family interrupted; nothing written"), std::string::npos) << e;
}

TEST(ResumableLoopTest, APartialFileIsKeptOnlyWhenItIsAPrefix) {
  test::TempDir dir;
  const auto partial = dir.path() / "x.partial.csv";
  std::vector<int> rows;
  const std::vector<int> wanted = {7, 8, 9};
  auto read = [&] {
    rows = {7, 8};
    return rows.size();
  };
  auto matches = [&](size_t i) { return i < wanted.size() && rows[i] == wanted[i]; };
  auto clear = [&] { rows.clear(); };
  EXPECT_EQ(resume_rows(partial, "x", read, matches, clear), 0u);  // no file
  write_file_atomic(partial, "");
  EXPECT_EQ(resume_rows(partial, "x", read, matches, clear), 2u);
  EXPECT_EQ(rows.size(), 2u);
  auto other = [&] {
    rows = {7, 5};
    return rows.size();
  };
  EXPECT_EQ(resume_rows(partial, "x", other, matches, clear), 0u);
  EXPECT_TRUE(rows.empty());
}

}  // namespace
}  // namespace sparsenas::pipeline
