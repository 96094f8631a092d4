// Unit tests for src/sparsenas/predictor/measurement_noise.h
#include "sparsenas/predictor/measurement_noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "support/error_of.h"

namespace sparsenas::predictor {
namespace {

using test::error_of;

// Four networks, halves of 10 images each. By hand:
//   all  = (even + odd) / 2 = {.75, .90, .75, .55}, mean .7375, deviations {.0125, .1625, .0125,
//          -.1875}, sum of squares .061875, spread = sqrt(.061875 / 3)
//   d    = even - odd = {.1, 0, -.1, .1}, mean .025, sum of squared deviations .0275,
//          noise_se = sqrt(.0275 / 3) * sqrt(10 * 10) / 20 = sqrt(.0275 / 3) / 2
//   r    = cov / sqrt(var_e var_o): even deviations {.05, .15, -.05, -.15}, odd {-.025, .175, .075,
//          -.225}; cross products sum .055, squares .05 and .0875 -> r = .055 / sqrt(.05 * .0875)
TEST(MeasurementNoiseTest, SplitHalfReliabilityByHand) {
  const MeasurementNoise n = measurement_noise({0.8, 0.9, 0.7, 0.6}, {0.7, 0.9, 0.8, 0.5}, 10, 10);
  EXPECT_EQ(n.networks, 4);
  EXPECT_EQ(n.images, 20);
  EXPECT_NEAR(n.mean, 0.7375, 1e-15);
  EXPECT_NEAR(n.spread, std::sqrt(0.061875 / 3), 1e-12);
  EXPECT_NEAR(n.noise_se, std::sqrt(0.0275 / 3) / 2, 1e-12);
  EXPECT_NEAR(n.diff_se, std::sqrt(2.0) * std::sqrt(0.0275 / 3) / 2, 1e-12);
  const double r = 0.055 / std::sqrt(0.05 * 0.0875);
  EXPECT_NEAR(n.split_half_r, r, 1e-12);
  EXPECT_NEAR(n.reliability, 2 * r / (1 + r), 1e-12);  // 0.908
  EXPECT_NEAR(n.binomial_se, std::sqrt(0.7375 * 0.2625 / 20), 1e-12);
  EXPECT_NEAR(n.binomial_diff_se, std::sqrt(2 * 0.7375 * 0.2625 / 20), 1e-12);
  EXPECT_FALSE(n.noisy());  // 0.048 < 0.144 / 2
}

TEST(MeasurementNoiseTest, UnequalHalvesWeighTheirImages) {
  // 3 even and 2 odd images: all = (3 e + 2 o) / 5; noise_se = sd(d) sqrt(3 * 2) / 5.
  const MeasurementNoise n = measurement_noise({1.0, 2.0 / 3, 1.0 / 3}, {0.5, 1.0, 0.0}, 3, 2);
  EXPECT_EQ(n.images, 5);
  EXPECT_NEAR(n.mean, (4.0 / 5 + 4.0 / 5 + 1.0 / 5) / 3, 1e-12);
  // d = {.5, -1/3, 1/3}, mean 1/6, deviations {1/3, -1/2, 1/6}: squares sum 1/9 + 1/4 + 1/36 = 7/18
  EXPECT_NEAR(n.noise_se, std::sqrt(7.0 / 18 / 2) * std::sqrt(6.0) / 5, 1e-12);
}

TEST(MeasurementNoiseTest, HalvesThatDisagreeAreNoisy) {
  // Every network scores .75 on all images; the halves anti-correlate: pure noise.
  const MeasurementNoise n = measurement_noise({0.8, 0.7, 0.8, 0.7}, {0.7, 0.8, 0.7, 0.8}, 50, 50);
  EXPECT_NEAR(n.spread, 0.0, 1e-12);
  EXPECT_NEAR(n.split_half_r, -1.0, 1e-12);
  EXPECT_TRUE(std::isnan(n.reliability));  // 2r / (1 + r) undefined at r = -1
  EXPECT_TRUE(n.noisy());
}

// Simulated: true accuracies with std 1 point, each measured on 2 x 1,000 independent images.
// The halves' noise estimate must find the binomial noise, and the reliability the true share.
TEST(MeasurementNoiseTest, RecoversTheNoiseOfSimulatedMeasurements) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> truth(0.80, 0.01);
  const int64_t half = 1000;
  std::vector<double> even, odd;
  for (int i = 0; i < 2000; ++i) {
    const double p = truth(rng);
    std::binomial_distribution<int64_t> count(half, p);
    even.push_back(static_cast<double>(count(rng)) / half);
    odd.push_back(static_cast<double>(count(rng)) / half);
  }
  const MeasurementNoise n = measurement_noise(even, odd, half, half);
  const double binomial = std::sqrt(0.8 * 0.2 / 2000);  // 0.894 points
  EXPECT_NEAR(n.noise_se, binomial, 0.05 * binomial);
  EXPECT_NEAR(n.binomial_se, binomial, 0.01 * binomial);
  // spread^2 = 1^2 + 0.894^2 points^2: reliability = 1 / 1.8 = 0.556
  EXPECT_NEAR(n.reliability, 1 / (1 + binomial * binomial / 1e-4), 0.05);
  EXPECT_TRUE(n.noisy());  // 0.89 > sqrt(1.8) / 2 = 0.67
}

TEST(MeasurementNoiseTest, TooFewNetworksAndBadInput) {
  const MeasurementNoise two = measurement_noise({0.5, 0.6}, {0.5, 0.7}, 10, 10);
  EXPECT_TRUE(std::isnan(two.spread));
  EXPECT_TRUE(std::isnan(two.noise_se));
  EXPECT_FALSE(two.noisy());
  EXPECT_NEAR(two.mean, 0.575, 1e-12);
  EXPECT_NE(error_of([] { measurement_noise({0.5}, {0.5, 0.6}, 10, 10); }).find("one of each per network"),
            std::string::npos);
  EXPECT_NE(error_of([] { measurement_noise({0.5}, {50}, 10, 10); }).find("fractions in [0, 1]"), std::string::npos);
  EXPECT_NE(error_of([] { measurement_noise({0.5}, {0.5}, 0, 10); }).find("at least 1 image"), std::string::npos);
}

}  // namespace
}  // namespace sparsenas::predictor
