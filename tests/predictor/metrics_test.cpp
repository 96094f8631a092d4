// Unit tests for src/sparsenas/predictor/metrics.h
#include "sparsenas/predictor/metrics.h"
#include "support/error_of.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "sparsenas/core/error.h"

namespace sparsenas::predictor {
namespace {

using test::error_of;

TEST(MetricsTest, RmseHandComputed) {
  // residuals -1, 0, -2
  EXPECT_DOUBLE_EQ(rmse({1, 2, 3}, {2, 2, 5}), std::sqrt(5.0 / 3.0));
  EXPECT_DOUBLE_EQ(rmse({0.5}, {0.5}), 0.0);
}

TEST(MetricsTest, MeanShiftRemovesOnlyTheConstantOffset) {
  // residuals -1, 0, -2 have mean -1; after the shift they are 0, 1, -1.
  EXPECT_DOUBLE_EQ(rmse_mean_shifted({1, 2, 3}, {2, 2, 5}), std::sqrt(2.0 / 3.0));
  // The early predictor's whole-domain offset (proxy-supernet accuracies are lower) costs nothing.
  const std::vector<double> actual = {0.71, 0.74, 0.76, 0.80};
  std::vector<double> predicted;
  for (double a : actual) predicted.push_back(a - 0.05);
  EXPECT_NEAR(rmse(predicted, actual), 0.05, 1e-12);
  EXPECT_NEAR(rmse_mean_shifted(predicted, actual), 0.0, 1e-12);
  // But a wrong spread is still an error: predicted = 2 * actual - mean.
  EXPECT_GT(rmse_mean_shifted({0.67, 0.73, 0.77, 0.85}, actual), 0.02);
}

TEST(MetricsTest, KendallHandComputed) {
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}), -1.0);
  // pairs: (0,1) C, (0,2) C, (1,2) D -> (2 - 1) / 3
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3}, {1, 3, 2}), 1.0 / 3.0);
  // ties: C = 4, D = 0, one pair tied in x, one tied in y -> 4 / sqrt(5 * 5) (scipy: 0.8)
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 2, 3}, {1, 2, 3, 3}), 0.8);
  // a pair tied in both counts in both tie corrections: 2 / sqrt(2 * 2)
  EXPECT_DOUBLE_EQ(kendall_tau({1, 1, 2}, {1, 1, 2}), 1.0);
  // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) = -0.47140452079103173
  EXPECT_NEAR(kendall_tau({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}), -0.47140452079103173, 1e-15);
  EXPECT_NEAR(kendall_tau_brute_force({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}), -0.47140452079103173,
              1e-15);
}

TEST(MetricsTest, KendallUndefinedForConstantInput) {
  EXPECT_TRUE(std::isnan(kendall_tau({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(kendall_tau({1, 2, 3}, {4, 4, 4})));
  EXPECT_TRUE(std::isnan(kendall_tau_brute_force({1, 2, 3}, {4, 4, 4})));
}

TEST(MetricsTest, KendallMatchesBruteForceOnRandomDataWithTies) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t n = 2 + rng() % 300;
    const int levels_x = 1 + static_cast<int>(rng() % 20);  // few levels -> many ties
    const int levels_y = 2 + static_cast<int>(rng() % 50);
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = static_cast<double>(rng() % levels_x);
      // correlated with x, plus noise
      y[i] = static_cast<double>((static_cast<int>(x[i]) + static_cast<int>(rng() % 7)) % levels_y);
    }
    const double fast = kendall_tau(x, y), slow = kendall_tau_brute_force(x, y);
    if (std::isnan(slow)) {
      EXPECT_TRUE(std::isnan(fast)) << "seed " << seed;
    } else {
      EXPECT_NEAR(fast, slow, 1e-12) << "seed " << seed << " n " << n;
    }
  }
}

TEST(MetricsTest, KendallMatchesBruteForceOnContinuousData) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  std::vector<double> x(1000), y(1000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = normal(rng);
    y[i] = x[i] + normal(rng);
  }
  EXPECT_NEAR(kendall_tau(x, y), kendall_tau_brute_force(x, y), 1e-12);
}

TEST(MetricsTest, KendallWithinGroupsHandComputed) {
  // Groups {0: a, b, c}, {1: d, e}: within group 0 pairs (a,b) C, (a,c) C, (b,c) D; group 1 (d,e) D.
  // Across groups nothing counts. (2 - 2) / 4 = 0, though all five are concordant-looking globally.
  EXPECT_DOUBLE_EQ(kendall_tau_within_groups({1, 2, 3, 10, 11}, {1, 3, 2, 11, 10}, {0, 0, 0, 1, 1}), 0.0);
  // One group: the global tau.
  EXPECT_DOUBLE_EQ(kendall_tau_within_groups({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}, {5, 5, 5, 5, 5}),
                   kendall_tau({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}));
  // Globally perfect (bigger networks more accurate) but reversed within each interval: -1.
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4}, {2, 1, 4, 3}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(kendall_tau_within_groups({1, 2, 3, 4}, {2, 1, 4, 3}, {0, 0, 1, 1}), -1.0);
  // Only singletons, or ties everywhere within groups: undefined.
  EXPECT_TRUE(std::isnan(kendall_tau_within_groups({1, 2, 3}, {1, 2, 3}, {0, 1, 2})));
  EXPECT_TRUE(std::isnan(kendall_tau_within_groups({1, 1, 2, 2}, {1, 2, 3, 4}, {0, 0, 1, 1})));
}

TEST(MetricsTest, KendallWithinGroupsMatchesBruteForce) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> value(0, 5), group(0, 6), size(2, 60);
    const int n = size(rng);
    std::vector<double> x(n), y(n);
    std::vector<int64_t> g(n);
    for (int i = 0; i < n; ++i) {
      x[i] = value(rng);
      y[i] = value(rng);
      g[i] = group(rng);
    }
    const double fast = kendall_tau_within_groups(x, y, g), brute = kendall_tau_within_groups_brute_force(x, y, g);
    if (std::isnan(brute)) {
      EXPECT_TRUE(std::isnan(fast)) << "seed " << seed;
    } else {
      EXPECT_NEAR(fast, brute, 1e-12) << "seed " << seed;
    }
  }
}

TEST(MetricsTest, AverageRanksShareTies) {
  EXPECT_EQ(average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(average_ranks({3, 1, 3, 3}), (std::vector<double>{3, 1, 3, 3}));
}

TEST(MetricsTest, SpearmanHandComputed) {
  EXPECT_DOUBLE_EQ(spearman_rho({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman_rho({1, 2, 3}, {3, 2, 1}), -1.0);
  // y ranks 1, 2, 3.5, 5, 3.5 -> 8 / sqrt(10 * 9.5) (scipy.stats.spearmanr: 0.8207826816681233)
  EXPECT_NEAR(spearman_rho({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}), 0.8207826816681233, 1e-15);
  EXPECT_TRUE(std::isnan(spearman_rho({1, 2, 3}, {4, 4, 4})));
}

TEST(MetricsTest, ErrorsNameTheMetricAndTheProblem) {
  EXPECT_NE(error_of([] {
              rmse({1, 2}, {1});
            }).find("rmse: both inputs must have the same length, got 2 and 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { rmse({}, {}); }).find("at least 1 values, got 0"), std::string::npos);
  EXPECT_NE(error_of([] { kendall_tau({1}, {1}); }).find("kendall_tau: needs at least 2"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              spearman_rho({1, NAN}, {1, 2});
            }).find("must be finite"),
            std::string::npos);
}

}  // namespace
}  // namespace sparsenas::predictor
