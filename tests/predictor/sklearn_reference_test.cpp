// Reference tests against scikit-learn and SciPy (tests/testdata/make_predictor_reference.py):
// the OFA encoding, the GBDT preset = sklearn GradientBoostingRegressor(n_estimators=100,
// learning_rate=0.01), and Kendall tau-b / Spearman rho with ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sparsenas/core/fs.h"
#include "sparsenas/predictor/features.h"
#include "sparsenas/predictor/metrics.h"
#include "sparsenas/predictor/predictor.h"

namespace sparsenas::predictor {
namespace {

using space::Arch;
using space::SearchSpace;

const nlohmann::json& reference() {
  static const nlohmann::json ref =
      read_json_file(std::string(SNAS_TEST_DATA_DIR) + "/predictor_reference.json");
  return ref;
}

std::vector<Arch> archs_of(const nlohmann::json& list) {
  std::vector<Arch> out;
  for (const auto& a : list) out.push_back(space::arch_from_json(a));
  return out;
}

TEST(SklearnReferenceTest, EncodingMatchesIndependentOfaEncoder) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  const std::vector<Arch> archs = archs_of(reference().at("archs_train"));
  const auto& ones = reference().at("encoding_ones");
  for (size_t i = 0; i < ones.size(); ++i) {
    const std::vector<float> x = encode(space, archs[i]);
    std::vector<int> got;
    for (size_t j = 0; j < x.size(); ++j) {
      if (x[j] != 0.0f) got.push_back(static_cast<int>(j));
    }
    EXPECT_EQ(got, ones[i].get<std::vector<int>>()) << "arch " << i;
  }
}

TEST(SklearnReferenceTest, GbdtPresetEqualsSklearnGradientBoosting) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  GbdtConfig config = GbdtConfig::preset("gbdt");
  config.nthread = 1;
  XgbAccuracyPredictor predictor(space, config);
  predictor.fit(archs_of(reference().at("archs_train")),
                reference().at("acc_train").get<std::vector<double>>());
  const std::vector<double> predicted = predictor.predict(archs_of(reference().at("archs_test")));
  const auto expected = reference().at("gbdt_test_predictions").get<std::vector<double>>();
  ASSERT_EQ(predicted.size(), expected.size());
  double max_diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(predicted[i] - expected[i]));
  }
  // Same trees; the difference is XGBoost's float32 labels and sums against sklearn's float64.
  EXPECT_LT(max_diff, 1e-5);
}

TEST(SklearnReferenceTest, RankCorrelationsEqualScipy) {
  const auto& m = reference().at("metrics");
  const auto x = m.at("x").get<std::vector<double>>();
  const auto y = m.at("y").get<std::vector<double>>();
  EXPECT_NEAR(kendall_tau(x, y), m.at("kendall_tau_b").get<double>(), 1e-12);
  EXPECT_NEAR(kendall_tau_brute_force(x, y), m.at("kendall_tau_b").get<double>(), 1e-12);
  EXPECT_NEAR(spearman_rho(x, y), m.at("spearman_rho").get<double>(), 1e-12);
}

}  // namespace
}  // namespace sparsenas::predictor
