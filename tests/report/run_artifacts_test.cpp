// Unit tests for src/sparsenas/report/csv_table.h and run_artifacts.h.
#include "sparsenas/report/run_artifacts.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/report/csv_table.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::report {
namespace {

using nlohmann::json;
using test::error_of;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CsvTableTest, ParsesQuotedFieldsDoubledQuotesAndLineBreaks) {
  const CsvTable t = parse_csv_table(
      "name,value,note\r\n"
      "\"a,b\",1,\"say \"\"hi\"\"\"\r\n"
      "\n"
      "plain,2,\"two\nlines\"\n"
      "last,3,\n",
      "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"name", "value", "note"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a,b", "1", "say \"hi\""}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"plain", "2", "two\nlines"}));
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"last", "3", ""}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(t.column("value"), 1);
  EXPECT_EQ(t.column("missing"), -1);
  EXPECT_EQ(t.where(2, 1), "t.csv:6, column 2 (value)");
}

TEST(CsvTableTest, ErrorsNameTheFileLineAndColumn) {
  EXPECT_TRUE(contains(error_of([] { parse_csv_table("a,b\n1,2,3\n", "x.csv"); }),
                       "x.csv:2: expected 2 fields as in the header, got 3"));
  EXPECT_TRUE(contains(error_of([] { parse_csv_table("a,b\n1,\"2\n", "x.csv"); }),
                       "x.csv:2, column 2: quoted field has no closing quote"));
  EXPECT_TRUE(contains(error_of([] { parse_csv_table("a,b\n1,\"2\"x\n", "x.csv"); }),
                       "unexpected character 'x' after a closing quote"));
  EXPECT_TRUE(contains(error_of([] { parse_csv_table("a,b\n1,2\"\n", "x.csv"); }),
                       "a quote inside an unquoted field"));
  EXPECT_TRUE(contains(error_of([] { parse_csv_table("\n\n", "x.csv"); }), "x.csv: empty file"));
  const CsvTable t = parse_csv_table("a\n1\n", "x.csv");
  EXPECT_TRUE(contains(error_of([&] { t.require_column("b"); }),
                       "x.csv: the header has no column 'b' (got 'a')"));
}

TEST(CsvTableTest, Numbers) {
  EXPECT_DOUBLE_EQ(parse_number("0.712", "w"), 0.712);
  EXPECT_TRUE(std::isnan(parse_number("nan", "w", true)));
  EXPECT_TRUE(std::isnan(parse_number("", "w", true)));
  EXPECT_TRUE(contains(error_of([] { parse_number("nan", "w"); }), "w: expected a number"));
  EXPECT_TRUE(contains(error_of([] { parse_number("1x", "w"); }), "got '1x'"));
  EXPECT_EQ(parse_count("800", "w"), 800);
  EXPECT_TRUE(contains(error_of([] { parse_count("-1", "w"); }), "non-negative integer"));
}

TEST(RunArtifactsTest, ReadsPredictorScoresInAnyColumnOrder) {
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

TEST(RunArtifactsTest, ReadsHeldoutPredictions) {
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

TEST(RunArtifactsTest, ParsesManifest) {
  const json j = {{"version", 1},
                  {"method", "sparsenas"},
                  {"stages",
                   {{{"name", "teacher"},
                     {"status", "done"},
                     {"wall_seconds", 249.1},
                     {"core_seconds", 480.3},
                     {"epochs", 3},
                     {"n_sub", 1},
                     {"metrics", {{"val_top1", 0.91}}}},
                    {{"name", "pairs"}, {"status", "running"}}}}};
  const Manifest m = parse_manifest(j, "manifest.json");
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.method, "sparsenas");
  ASSERT_EQ(m.stages.size(), 2u);
  ASSERT_NE(m.find("teacher"), nullptr);
  EXPECT_DOUBLE_EQ(m.find("teacher")->core_seconds, 480.3);
  EXPECT_EQ(m.find("teacher")->epochs, 3);
  EXPECT_DOUBLE_EQ(*m.find("teacher")->metric("val_top1"), 0.91);
  EXPECT_FALSE(m.find("teacher")->metric("test_top1").has_value());
  EXPECT_EQ(m.find("pairs")->status, "running");
  EXPECT_EQ(m.find("family"), nullptr);

  json bad = j;
  bad["stages"][0]["epochs"] = -2;
  EXPECT_TRUE(contains(error_of([&] { parse_manifest(bad, "m.json"); }),
                       "m.json: stage 'teacher'.epochs: expected a non-negative integer"));
  EXPECT_TRUE(contains(error_of([&] { parse_manifest(json::array(), "m.json"); }),
                       "m.json: expected a JSON object"));
  EXPECT_TRUE(contains(error_of([&] {
                         parse_manifest(json{{"version", 1}}, "m.json");
                       }),
                       "no key \"stages\""));
}

TEST(RunArtifactsTest, ReadsHistoryWithAbsentOrNullValidation) {
  test::TempDir dir;
  const auto path = dir.path() / "history.json";
  write_json_file(path, json::array({{{"epoch", 0}, {"train_loss", 2.0}, {"val_top1", nullptr}},
                                     {{"epoch", 1}, {"train_loss", 1.0}, {"val_top1", 0.5}},
                                     {{"epoch", 2}, {"train_loss", 0.5}}}));
  const auto history = read_history(path);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_FALSE(history[0].val_top1.has_value());
  EXPECT_DOUBLE_EQ(*history[1].val_top1, 0.5);
  EXPECT_FALSE(history[2].val_top1.has_value());
  EXPECT_EQ(history[2].epoch, 2);

  write_json_file(path, json::array({{{"epoch", 0}, {"train_loss", "x"}}}));
  EXPECT_TRUE(contains(error_of([&] { read_history(path); }),
                       "history.json: [0].train_loss: expected a number"));
}

}  // namespace
}  // namespace sparsenas::report
