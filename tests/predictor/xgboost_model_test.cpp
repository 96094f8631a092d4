// Unit tests for src/sparsenas/predictor/xgboost_model.h
#include "sparsenas/predictor/xgboost_model.h"
#include "support/error_of.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/predictor/metrics.h"
#include "support/temp_dir.h"

namespace sparsenas::predictor {
namespace {

using test::error_of;

// y = 3 * x0 - 2 * x1 + x2 * x3 + small noise, features uniform in [0, 1).
struct Data {
  std::vector<float> x, y;
  int64_t rows = 0, cols = 0;
};
Data make_data(int64_t rows, int64_t cols, uint64_t seed) {
  Data d;
  d.rows = rows;
  d.cols = cols;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) d.x.push_back(uniform(rng));
    const float* r = d.x.data() + i * cols;
    d.y.push_back(3 * r[0] - 2 * r[1] + r[2] * r[3] + noise(rng));
  }
  return d;
}

std::vector<double> as_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

GbdtConfig config_of(const std::string& kind) {
  GbdtConfig c = GbdtConfig::preset(kind);
  c.nthread = 1;
  return c;
}

TEST(GbdtConfigTest, PresetsHoldThePaperSettings) {
  const GbdtConfig gbdt = GbdtConfig::preset("gbdt");
  EXPECT_EQ(gbdt.num_estimators, 100);
  EXPECT_DOUBLE_EQ(gbdt.learning_rate, 0.01);
  EXPECT_EQ(gbdt.max_depth, 3);
  EXPECT_DOUBLE_EQ(gbdt.reg_lambda, 0.0);
  EXPECT_FALSE(gbdt.base_score.has_value());
  EXPECT_EQ(gbdt.nthread, 1);
  const GbdtConfig rf = GbdtConfig::preset("random_forest");
  EXPECT_TRUE(rf.is_forest());
  EXPECT_EQ(rf.num_estimators, 100);
  EXPECT_DOUBLE_EQ(rf.learning_rate, 1.0);
  EXPECT_EQ(rf.max_depth, 0);
  const GbdtConfig xgb = GbdtConfig::preset("xgboost_default");
  EXPECT_EQ(xgb.max_depth, 6);
  EXPECT_DOUBLE_EQ(xgb.reg_lambda, 1.0);
  EXPECT_DOUBLE_EQ(xgb.learning_rate, 0.01);
  for (const char* kind : {"gbdt", "random_forest", "xgboost_default"}) {
    EXPECT_NO_THROW(GbdtConfig::preset(kind).validate()) << kind;
  }
  EXPECT_NE(error_of([] { GbdtConfig::preset("lightgbm"); }).find("got \"lightgbm\""),
            std::string::npos);
}

TEST(GbdtConfigTest, JsonRoundTripAndKindPreset) {
  GbdtConfig c = GbdtConfig::preset("random_forest");
  c.nthread = 2;
  c.base_score = 0.75;
  c.seed = 42;
  nlohmann::json j;
  to_json(j, c);
  GbdtConfig back;
  from_json(j, back);
  nlohmann::json again;
  to_json(again, back);
  EXPECT_EQ(j, again);
  EXPECT_EQ(back.kind, "random_forest");
  EXPECT_EQ(*back.base_score, 0.75);

  // "kind" resets to its preset first; other keys override.
  GbdtConfig from_kind;
  from_json(nlohmann::json{{"kind", "xgboost_default"}, {"nthread", 2}}, from_kind);
  EXPECT_EQ(from_kind.max_depth, 6);
  EXPECT_EQ(from_kind.nthread, 2);
  from_json(nlohmann::json{{"base_score", nullptr}}, back);
  EXPECT_FALSE(back.base_score.has_value());
}

TEST(GbdtConfigTest, ErrorsNameTheKeyOrField) {
  GbdtConfig c;
  const std::string unknown = error_of([&] { from_json(nlohmann::json{{"n_estimators", 10}}, c); });
  EXPECT_NE(unknown.find("unknown key 'n_estimators'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("valid keys: kind, num_estimators"), std::string::npos) << unknown;
  EXPECT_NE(error_of([&] {
              from_json(nlohmann::json{{"max_depth", 2.5}}, c);
            }).find("GbdtConfig.max_depth must be an integer, got 2.5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              from_json(nlohmann::json{{"learning_rate", "fast"}}, c);
            }).find("GbdtConfig.learning_rate must be a number"),
            std::string::npos);
  c.nthread = 0;
  EXPECT_NE(error_of([&] { c.validate(); }).find("GbdtConfig.nthread must be in [1, 4096], got 0"),
            std::string::npos);
  c = GbdtConfig{};
  c.max_depth = 0;
  c.tree_method = "exact";
  EXPECT_NE(error_of([&] { c.validate(); }).find("needs tree_method \"hist\""), std::string::npos);
  c = GbdtConfig{};
  c.subsample = 0;
  EXPECT_NE(error_of([&] { XgbRegressor model(c); }).find("GbdtConfig.subsample must be in (0, 1]"),
            std::string::npos);
}

TEST(XgbRegressorTest, GbdtLearnsASmoothFunction) {
  const Data train = make_data(600, 6, 1), test = make_data(200, 6, 2);
  XgbRegressor model(config_of("gbdt"));
  model.fit(train.x, train.y, train.rows, train.cols);
  EXPECT_TRUE(model.fitted());
  EXPECT_EQ(model.num_features(), 6);
  const std::vector<float> p = model.predict(test.x);
  ASSERT_EQ(p.size(), 200u);
  EXPECT_GT(kendall_tau(as_double(p), as_double(test.y)), 0.75);
}

TEST(XgbRegressorTest, EveryKindFitsAndIsDeterministic) {
  const Data train = make_data(300, 6, 3), test = make_data(100, 6, 4);
  for (const char* kind : {"gbdt", "random_forest", "xgboost_default"}) {
    GbdtConfig c = config_of(kind);
    c.num_estimators = 30;  // keeps the test fast; the kind's other settings apply
    XgbRegressor a(c), b(c);
    a.fit(train.x, train.y, train.rows, train.cols);
    b.fit(train.x, train.y, train.rows, train.cols);
    const std::vector<float> pa = a.predict(test.x);
    EXPECT_EQ(pa, b.predict(test.x)) << kind;
    EXPECT_GT(kendall_tau(as_double(pa), as_double(test.y)), 0.6) << kind;
  }
}

TEST(XgbRegressorTest, SeedDrivesRowSampling) {
  const Data train = make_data(300, 6, 5), test = make_data(50, 6, 6);
  GbdtConfig c = config_of("random_forest");
  c.num_estimators = 10;
  XgbRegressor a(c);
  c.seed = 1;
  XgbRegressor b(c);
  a.fit(train.x, train.y, train.rows, train.cols);
  b.fit(train.x, train.y, train.rows, train.cols);
  EXPECT_NE(a.predict(test.x), b.predict(test.x));
}

TEST(XgbRegressorTest, BaseScoreDefaultsToTheTargetMean) {
  // Constant features: no split is possible, so every prediction is the base score.
  const std::vector<float> x(4 * 2, 1.0f), y = {0.6f, 0.7f, 0.8f, 0.9f};
  XgbRegressor model(config_of("gbdt"));
  model.fit(x, y, 4, 2);
  for (float p : model.predict(x)) EXPECT_NEAR(p, 0.75f, 1e-6f);
  GbdtConfig fixed = config_of("gbdt");
  fixed.base_score = 0.5;
  XgbRegressor literal(fixed);
  literal.fit(x, y, 4, 2);
  // 100 rounds of eta 0.01 cover 1 - 0.99^100 = 63.4% of the gap from 0.5 to the mean 0.75.
  EXPECT_NEAR(literal.predict(x)[0], 0.5f + 0.25f * (1.0f - std::pow(0.99f, 100.0f)), 1e-4f);
}

TEST(XgbRegressorTest, SaveLoadPredictsIdentically) {
  test::TempDir dir;
  const Data train = make_data(300, 5, 7), test = make_data(100, 5, 8);
  GbdtConfig c = config_of("gbdt");
  c.seed = 9;
  XgbRegressor model(c);
  model.fit(train.x, train.y, train.rows, train.cols);
  const auto path = dir.path() / "sub" / "gbdt.json";
  model.save(path);
  const std::string text = read_file(path);
  EXPECT_EQ(text.front(), '{');
  EXPECT_NE(text.find("sparsenas_config"), std::string::npos);
  const XgbRegressor loaded = XgbRegressor::load(path);
  EXPECT_EQ(loaded.num_features(), 5);
  EXPECT_EQ(loaded.config().seed, 9u);
  EXPECT_EQ(loaded.config().kind, "gbdt");
  EXPECT_EQ(loaded.predict(test.x), model.predict(test.x));
}

// objective rank:pairwise learns the order within each group, not the level between groups: here
// every group's targets rise with x0 while the groups' levels fall with it.
TEST(XgbRegressorTest, RankPairwiseLearnsTheOrderWithinGroups) {
  Data d = make_data(240, 4, 9);
  std::vector<unsigned> groups(8, 30);
  std::vector<double> y, x0, group_of_row;
  for (int64_t i = 0; i < d.rows; ++i) {
    const int64_t g = i / 30;
    d.y[i] = d.x[i * d.cols] - 10.0f * static_cast<float>(g);  // x0 within, a falling level between
    y.push_back(d.y[i]);
    x0.push_back(d.x[i * d.cols]);
    group_of_row.push_back(static_cast<double>(g));
  }
  GbdtConfig ranked = config_of("gbdt");
  ranked.objective = "rank:pairwise";
  XgbRegressor model(ranked);
  model.fit(d.x, d.y, d.rows, d.cols, groups);
  const std::vector<double> scores = as_double(model.predict(d.x));
  std::vector<int64_t> group_ids(group_of_row.begin(), group_of_row.end());
  EXPECT_GT(kendall_tau_within_groups(scores, y, group_ids), 0.8);
  // The levels between groups are not learnt: the scores do not fall with the group.
  EXPECT_LT(std::abs(kendall_tau(scores, y)), 0.5);

  // Groups are required by the ranking objective and refused by a regression.
  EXPECT_NE(error_of([&] { model.fit(d.x, d.y, d.rows, d.cols); }).find("needs the row groups"), std::string::npos);
  EXPECT_NE(error_of([&] { model.fit(d.x, d.y, d.rows, d.cols, {10, 10}); }).find("sum to num_rows"),
            std::string::npos);
  XgbRegressor regression(config_of("gbdt"));
  EXPECT_NE(error_of([&] { regression.fit(d.x, d.y, d.rows, d.cols, groups); }).find("rank:pairwise"),
            std::string::npos);
  GbdtConfig bad = config_of("gbdt");
  bad.objective = "rank:ndcg";
  EXPECT_NE(error_of([&] { bad.validate(); }).find("objective"), std::string::npos);
}

TEST(XgbRegressorTest, ErrorsAreClear) {
  test::TempDir dir;
  XgbRegressor model(config_of("gbdt"));
  EXPECT_NE(error_of([&] { model.predict(std::vector<float>(3)); }).find("not fitted"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.fit({}, {}, 0, 3); }).find("needs at least 1 training row, got 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.fit(std::vector<float>(5), {1, 2}, 2, 3);
            }).find("num_rows * num_cols = 2 * 3 = 6 values, got 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.fit(std::vector<float>(6), {1}, 2, 3);
            }).find("needs one target per row (2), got 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.fit(std::vector<float>(6), {1, NAN}, 2, 3);
            }).find("targets must be finite, got nan at row 1"),
            std::string::npos);
  model.fit(std::vector<float>{0, 1, 1, 0}, {1, 2}, 2, 2);
  EXPECT_NE(error_of([&] {
              model.predict(std::vector<float>(3));
            }).find("must have 2 columns per row, but 3 values are not a multiple of 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { XgbRegressor::load(dir.path() / "missing.json"); }).find("no such file"),
            std::string::npos);
  write_file_atomic(dir.path() / "junk.json", "not a model");
  const std::string junk = error_of([&] { XgbRegressor::load(dir.path() / "junk.json"); });
  EXPECT_NE(junk.find("cannot load the XGBoost model"), std::string::npos) << junk;
  EXPECT_NE(junk.find("junk.json"), std::string::npos) << junk;
  EXPECT_NE(error_of([&] {
              XgbRegressor(config_of("gbdt")).save(dir.path() / "x.json");
            }).find("not fitted"),
            std::string::npos);
}

}  // namespace
}  // namespace sparsenas::predictor
