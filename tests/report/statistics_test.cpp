// Unit tests for src/sparsenas/report/bootstrap.h, curve_stats.h and selection_stats.h against
// hand-computed values and a seeded coverage simulation.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"
#include "sparsenas/report/bootstrap.h"
#include "sparsenas/report/curve_stats.h"
#include "sparsenas/report/selection_stats.h"

namespace sparsenas::report {
namespace {

TEST(BootstrapTest, PercentileIntervalInterpolatesAsNumpy) {
  std::vector<double> v(101);
  std::iota(v.begin(), v.end(), 0.0);  // 0..100: the q-quantile is 100 q
  std::reverse(v.begin(), v.end());
  const Interval ci = percentile_interval(v);
  EXPECT_NEAR(ci[0], 2.5, 1e-12);
  EXPECT_NEAR(ci[1], 97.5, 1e-12);
  // numpy.percentile([1, 2, 4], [25, 75]) = [1.5, 3.0]
  const Interval q = percentile_interval({4, 1, 2, NAN}, 0.5);
  EXPECT_DOUBLE_EQ(q[0], 1.5);
  EXPECT_DOUBLE_EQ(q[1], 3.0);
  EXPECT_TRUE(std::isnan(percentile_interval({1.0})[0]));
  EXPECT_THROW(percentile_interval({1, 2}, 1.0), Error);
}

TEST(BootstrapTest, ResampleCountsSumToNAndWeightedAccuracyCountsDraws) {
  Rng rng(3);
  const std::vector<int32_t> counts = resample_counts(50, rng);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0), 50);
  EXPECT_GT(std::count(counts.begin(), counts.end(), 0), 0);  // some images are left out
  const std::vector<uint8_t> bits = {1, 0, 1, 1};
  EXPECT_DOUBLE_EQ(weighted_accuracy(bits, {1, 1, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(weighted_accuracy(bits, {0, 3, 1, 0}), 0.25);  // image 1 thrice, image 2 once
  EXPECT_THROW(weighted_accuracy(bits, {1, 1}), Error);
}

TEST(CurveStatsTest, LeastSquaresMatchesTheNormalEquations) {
  // x = 1..4, y = 2,3,5,4: mean x 2.5, mean y 3.5, Sxy 4, Sxx 5 -> slope 0.8, intercept 1.5.
  const LineFit f = least_squares({1, 2, 3, 4}, {2, 3, 5, 4});
  EXPECT_NEAR(f.slope, 0.8, 1e-12);
  EXPECT_NEAR(f.intercept, 1.5, 1e-12);
  EXPECT_TRUE(std::isnan(least_squares({2, 2}, {1, 3}).slope));
}

TEST(CurveStatsTest, SlopeIsPointsPerDoublingAndAnExactLineHasAZeroWidthInterval) {
  // +2 points per doubling of MACs exactly.
  const SlopeEstimate e = accuracy_slope({1'000'000, 2'000'000, 4'000'000, 8'000'000}, {0.80, 0.82, 0.84, 0.86}, 200, 1);
  EXPECT_EQ(e.networks, 4);
  EXPECT_NEAR(e.slope, 2.0, 1e-9);
  EXPECT_NEAR(e.ci95[0], 2.0, 1e-9);
  EXPECT_NEAR(e.ci95[1], 2.0, 1e-9);
  // Noisy: the direct least-squares fit of y on log2 x, and an interval around it.
  const std::vector<int64_t> macs = {1'000'000, 2'000'000, 3'000'000, 5'000'000, 8'000'000, 9'000'000};
  const std::vector<double> acc = {0.80, 0.83, 0.82, 0.86, 0.85, 0.88};
  std::vector<double> x, y;
  for (size_t i = 0; i < macs.size(); ++i) {
    x.push_back(std::log2(static_cast<double>(macs[i])));
    y.push_back(acc[i] * 100);
  }
  const SlopeEstimate n = accuracy_slope(macs, acc, 500, 2);
  EXPECT_NEAR(n.slope, least_squares(x, y).slope, 1e-12);
  EXPECT_LT(n.ci95[0], n.slope);
  EXPECT_GT(n.ci95[1], n.slope);
}

TEST(CurveStatsTest, ParetoCurveAndShareAboveOnAConstructedFamily) {
  // CompOFA: (1M, 80%), (2M, 78%) dominated, (2M, 84%), (4M, 86%), (4M, 85%) dominated.
  const ParetoCurve curve = pareto_curve({4'000'000, 1'000'000, 2'000'000, 2'000'000, 4'000'000},
                                         {0.86, 0.80, 0.78, 0.84, 0.85});
  ASSERT_EQ(curve.top1.size(), 3u);
  EXPECT_DOUBLE_EQ(curve.at(1'000'000), 0.80);
  EXPECT_DOUBLE_EQ(curve.at(2'000'000), 0.84);
  // Halfway between 2M and 4M in log MACs (2.828M): halfway between 84% and 86%.
  EXPECT_NEAR(curve.at(static_cast<int64_t>(std::llround(2'000'000 * std::sqrt(2.0)))), 0.85, 1e-6);
  EXPECT_TRUE(std::isnan(curve.at(500'000)));
  EXPECT_TRUE(std::isnan(curve.at(5'000'000)));
  // Ours: above at 1.5M (curve ~82.3%), below at 2M, equal at 4M (not above), outside at 8M.
  const ShareAbove s =
      share_above(curve, {1'500'000, 2'000'000, 4'000'000, 8'000'000}, {0.83, 0.83, 0.86, 0.99});
  EXPECT_EQ(s.above, 1);
  EXPECT_EQ(s.compared, 3);
  EXPECT_EQ(s.outside, 1);
  EXPECT_DOUBLE_EQ(s.share(), 1.0 / 3);
}

// Bits of a network correct on the first `hits` of `n` images, rotated by `shift`.
std::vector<uint8_t> bits_of(int n, int hits, int shift) {
  std::vector<uint8_t> b(n, 0);
  for (int i = 0; i < hits; ++i) b[(i + shift) % n] = 1;
  return b;
}

TEST(SelectionStatsTest, IdenticalSidesGiveZeroAndAZeroWidthInterval) {
  std::vector<SelectionInterval> intervals(3);
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 4; ++j) {
      intervals[k].selected.push_back(bits_of(40, 30, k));
      intervals[k].random.push_back(bits_of(40, 30, k));
    }
  }
  const SelectionDifference d = selection_difference(intervals, 300, 5);
  EXPECT_DOUBLE_EQ(d.difference, 0.0);
  EXPECT_DOUBLE_EQ(d.ci95[0], 0.0);
  EXPECT_DOUBLE_EQ(d.ci95[1], 0.0);
  EXPECT_DOUBLE_EQ(d.intervals[1].ci95[1], 0.0);
}

TEST(SelectionStatsTest, AKnownShiftIsEstimatedAndCovered) {
  // Selected networks are right on 5 more of 50 images than the random ones: +10 points.
  std::vector<SelectionInterval> intervals(4);
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 5; ++j) {
      intervals[k].selected.push_back(bits_of(50, 35 + j % 2, j));
      intervals[k].random.push_back(bits_of(50, 30 + j % 2, j));
    }
  }
  const SelectionDifference d = selection_difference(intervals, 500, 7);
  EXPECT_NEAR(d.difference, 0.10, 1e-12);
  EXPECT_NEAR(d.intervals[2].difference, 0.10, 1e-12);
  EXPECT_LT(d.ci95[0], 0.10);
  EXPECT_GT(d.ci95[1], 0.10);
  EXPECT_GT(d.ci95[0], 0.0);  // the shift is far above the noise of 50 images
  EXPECT_THROW(selection_difference({SelectionInterval{{bits_of(4, 1, 0)}, {}}}, 10, 0), Error);
}

TEST(SelectionStatsTest, CoverageOfTheIntervalOnSyntheticDataIsNearNinetyFivePercent) {
  // Each network has a true accuracy (selected: 0.80 + 0.02, random: 0.80, plus a per-network
  // spread of sd 0.02); its correctness on each of 200 images is Bernoulli(accuracy), independent
  // across networks. The interval should cover the true difference (0.02) in about 95% of 120
  // seeded experiments (measured: 119; with errors independent across networks the image
  // resampling adds noise that the network resampling already holds, so it errs on the wide
  // side); a broken interval (images only, or none) covers far less.
  Rng rng(2024);
  std::normal_distribution<double> spread(0.0, 0.02);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int experiments = 120, images = 200;
  int covered = 0;
  for (int e = 0; e < experiments; ++e) {
    std::vector<SelectionInterval> intervals(4);
    for (auto& in : intervals) {
      for (int j = 0; j < 5; ++j) {
        for (int side = 0; side < 2; ++side) {
          const double p = 0.80 + (side == 0 ? 0.02 : 0.0) + spread(rng);
          std::vector<uint8_t> b(images);
          for (auto& x : b) x = u(rng) < p;
          (side == 0 ? in.selected : in.random).push_back(b);
        }
      }
    }
    const SelectionDifference d = selection_difference(intervals, 200, static_cast<uint64_t>(e));
    covered += d.ci95[0] <= 0.02 && 0.02 <= d.ci95[1];
  }
  EXPECT_GE(covered, 0.85 * experiments);
  EXPECT_LE(covered, experiments);
  EXPECT_LT(covered, experiments) << "an interval that always covers is suspiciously wide";
}

}  // namespace
}  // namespace sparsenas::report
