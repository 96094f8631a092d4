// Unit tests for src/sparsenas/predictor/predictor.h
#include "sparsenas/predictor/predictor.h"
#include "support/error_of.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "sparsenas/core/error.h"
#include "sparsenas/predictor/metrics.h"
#include "support/fashion_space.h"
#include "support/synthetic_pairs.h"
#include "support/temp_dir.h"

namespace sparsenas::predictor {
namespace {

using space::Arch;
using space::SearchSpace;

using test::error_of;
using test::fashion_space;

using test::make_synthetic;
using test::Synthetic;

// Accuracy set by three choices of always-active slots (first blocks of stages 0 and 4).
double few_choices(const Arch& a) {
  return 0.70 + 0.04 * (a.expand_ratios[16] == 6) + 0.02 * (a.kernel_sizes[17] == 7) +
         0.01 * (a.expand_ratios[0] == 3);
}

GbdtConfig config_of(const std::string& kind) {
  GbdtConfig c = GbdtConfig::preset(kind);
  c.nthread = 1;
  return c;
}

// The paper's GBDT preset (100 depth-3 trees, learning rate 0.01) on a target set by a few
// choices: the shrunken, nearly identical trees of that preset capture a few strong effects.
TEST(XgbAccuracyPredictorTest, GbdtPresetRanksHeldOutArchitectures) {
  const SearchSpace space = fashion_space();
  const Synthetic data = make_synthetic(space, 1000, 11, 0.002, few_choices);
  const auto [train, test] = data.split(800);
  XgbAccuracyPredictor predictor(space, config_of("gbdt"));
  EXPECT_EQ(predictor.name(), "gbdt");
  predictor.fit(train.archs, train.accuracies);
  const std::vector<double> predicted = predictor.predict(test.archs);
  ASSERT_EQ(predicted.size(), test.archs.size());
  EXPECT_GT(kendall_tau(predicted, test.accuracies), 0.8);
  EXPECT_GT(spearman_rho(predicted, test.accuracies), 0.9);
}

// The sum of the expand ratios of the active blocks is additive over 40 one-hots and depends on
// depth through which slots are active: beyond 100 depth-3 trees at learning rate 0.01 (they reach
// tau ~0.5 here, exactly as sklearn's GradientBoostingRegressor; see sklearn_reference_test.cpp),
// so this uses more, shallower rounds. It checks that the encoding carries the signal.
TEST(XgbAccuracyPredictorTest, BoostedTreesRankSumOfActiveExpandRatios) {
  const SearchSpace space = fashion_space();
  const Synthetic data = make_synthetic(space, 1000, 11, 0.002, [&](const Arch& a) {
    int sum = 0;
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (space.is_active(a, slot)) sum += a.expand_ratios[slot];
    }
    return 0.64 + 0.002 * sum;  // sum in [30, 120]: 0.70 .. 0.88
  });
  const auto [train, test] = data.split(800);
  GbdtConfig config = config_of("gbdt");
  config.num_estimators = 500;
  config.learning_rate = 0.1;
  config.max_depth = 2;
  XgbAccuracyPredictor predictor(space, config);
  predictor.fit(train.archs, train.accuracies);
  const std::vector<double> predicted = predictor.predict(test.archs);
  EXPECT_GT(kendall_tau(predicted, test.accuracies), 0.8);
  EXPECT_LT(rmse_mean_shifted(predicted, test.accuracies), 0.01);
}

TEST(XgbAccuracyPredictorTest, RandomForestAndXgboostDefaultWork) {
  const SearchSpace space = fashion_space();
  const Synthetic data = make_synthetic(space, 500, 12, 0.002, few_choices);
  const auto [train, test] = data.split(400);
  for (const char* kind : {"random_forest", "xgboost_default"}) {
    GbdtConfig c = config_of(kind);
    c.num_estimators = 30;  // fast; the kind's other settings apply
    XgbAccuracyPredictor predictor(space, c);
    EXPECT_EQ(predictor.name(), kind);
    predictor.fit(train.archs, train.accuracies);
    EXPECT_GT(kendall_tau(predictor.predict(test.archs), test.accuracies), 0.8) << kind;
  }
}

TEST(XgbAccuracyPredictorTest, SaveLoadPredictsIdentically) {
  test::TempDir dir;
  const SearchSpace space = fashion_space();
  const Synthetic data = make_synthetic(space, 200, 13, 0.002, few_choices);
  XgbAccuracyPredictor predictor(space, config_of("gbdt"));
  predictor.fit(data.archs, data.accuracies);
  const auto path = dir.path() / "predictor" / "gbdt.json";
  predictor.save(path);
  const XgbAccuracyPredictor loaded = XgbAccuracyPredictor::load(path, space);
  EXPECT_EQ(loaded.name(), "gbdt");
  EXPECT_EQ(loaded.predict(data.archs), predictor.predict(data.archs));
  // A model of ofa-mbv3 does not fit the compofa encoding (80 features).
  const std::string wrong =
      error_of([&] { XgbAccuracyPredictor::load(path, SearchSpace::from_name("compofa")); });
  EXPECT_NE(wrong.find("reads 120 features, but space compofa encodes to 80"), std::string::npos)
      << wrong;
}

TEST(XgbAccuracyPredictorTest, ErrorsAreClear) {
  const SearchSpace space = fashion_space();
  XgbAccuracyPredictor predictor(space, config_of("gbdt"));
  EXPECT_NE(error_of([&] { predictor.fit({}, {}); }).find("fit needs at least one architecture"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              predictor.fit({space.max_arch()}, {0.5, 0.6});
            }).find("one accuracy per architecture, got 1 architectures and 2 accuracies"),
            std::string::npos);
  EXPECT_NE(error_of([&] { predictor.predict({space.max_arch()}); }).find("predict before fit"),
            std::string::npos);
  Arch bad = space.max_arch();
  bad.kernel_sizes[0] = 4;
  EXPECT_NE(error_of([&] {
              predictor.fit({space.max_arch(), bad}, {0.5, 0.6});
            }).find("architecture 1 of the batch: arch.ks[0] must be one of"),
            std::string::npos);
}

}  // namespace
}  // namespace sparsenas::predictor
