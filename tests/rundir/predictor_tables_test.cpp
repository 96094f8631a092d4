// Unit tests for src/sparsenas/rundir/predictor_tables.h.
#include "sparsenas/rundir/predictor_tables.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;
using test::error_of;

using test::contains;

TEST(PredictorTablesTest, ReadsPredictorScoresInAnyColumnOrder) {
  test::TempDir dir;
  const auto path = dir.path() / "predictors.csv";
  write_file_atomic(path,
                    "kendall_tau,predictor,n_train,n_heldout,fit_seconds,rmse,rmse_shifted,"
                    "spearman_rho,extra\n"
                    "0.712,gbdt,800,200,0.021,0.0312,0.0041,0.88,x\n"
                    "nan,\"lstm, small\",800,200,,0.05,0.01,0.5,y\n");
  const auto scores = read_predictor_scores(path);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0].predictor, "gbdt");
  EXPECT_EQ(scores[0].n_train, 800);
  EXPECT_EQ(scores[0].n_heldout, 200);
  EXPECT_DOUBLE_EQ(scores[0].kendall_tau, 0.712);
  EXPECT_DOUBLE_EQ(scores[0].rmse_shifted, 0.0041);
  EXPECT_EQ(scores[1].predictor, "lstm, small");
  EXPECT_TRUE(std::isnan(scores[1].kendall_tau));
  EXPECT_TRUE(std::isnan(scores[1].fit_seconds));

  write_file_atomic(path,
                    "predictor,n_train,n_heldout,fit_seconds,rmse,rmse_shifted,kendall_tau,"
                    "spearman_rho\ngbdt,many,200,0.02,0.03,0.004,0.7,0.8\n");
  EXPECT_TRUE(contains(error_of([&] { read_predictor_scores(path); }),
                       "predictors.csv:2, column 2 (n_train): expected a non-negative integer"));
}

TEST(PredictorTablesTest, ReadsHeldoutPredictions) {
  test::TempDir dir;
  const auto path = dir.path() / "heldout.csv";
  write_file_atomic(path,
                    "arch,val_top1,gbdt,rf\n"
                    "\"{\"\"ks\"\":[3]}\",0.8,0.79,0.81\n"
                    "\"{\"\"ks\"\":[5]}\",0.9,0.88,0.87\n");
  const HeldoutPredictions h = read_heldout(path);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.archs[0], "{\"ks\":[3]}");
  EXPECT_EQ(h.predictors, (std::vector<std::string>{"gbdt", "rf"}));
  EXPECT_DOUBLE_EQ(h.predicted[1][1], 0.87);
  EXPECT_DOUBLE_EQ(h.val_top1[1], 0.9);
}

TEST(PredictorTablesTest, WritesWhatItReads) {
  test::TempDir dir;
  PredictorScore s;
  s.predictor = "gbdt";
  s.n_train = 80;
  s.n_heldout = 20;
  s.fit_seconds = std::nan("");
  s.rmse = 0.0312;
  s.kendall_tau = 0.712;
  write_predictor_scores(dir.path() / "p.csv", {s});
  const auto back = read_predictor_scores(dir.path() / "p.csv");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].predictor, "gbdt");
  EXPECT_EQ(back[0].n_heldout, 20);
  EXPECT_TRUE(std::isnan(back[0].fit_seconds));
  EXPECT_DOUBLE_EQ(back[0].kendall_tau, 0.712);

  HeldoutPredictions h;
  h.archs = {"{\"ks\":[3],\"e\":[4],\"d\":[1]}"};
  h.val_top1 = {0.5};
  h.predictors = {"gbdt", "mlp"};
  h.predicted = {{0.25}, {0.75}};
  write_heldout(dir.path() / "h.csv", h);
  const HeldoutPredictions r = read_heldout(dir.path() / "h.csv");
  EXPECT_EQ(r.archs, h.archs);
  EXPECT_EQ(r.predictors, h.predictors);
  EXPECT_EQ(r.predicted, h.predicted);
  EXPECT_EQ(read_file(dir.path() / "h.csv"),
            "arch,val_top1,gbdt,mlp\n\"{\"\"ks\"\":[3],\"\"e\"\":[4],\"\"d\"\":[1]}\",0.5,0.25,0.75\n");
}

}  // namespace
}  // namespace sparsenas::rundir
