// Unit tests for src/sparsenas/rundir/pairs_noise.h.
#include "sparsenas/rundir/pairs_noise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using test::contains;
using test::error_of;

TEST(PairsNoiseTest, RoundTripKeepsEveryFieldAndNaNAsNull) {
  test::TempDir dir;
  const auto path = dir.path() / "pairs_noise.json";
  const predictor::MeasurementNoise n =
      predictor::measurement_noise({0.8, 0.9, 0.7, 0.6}, {0.7, 0.9, 0.8, 0.5}, 10, 11);
  write_pairs_noise(path, n);
  const predictor::MeasurementNoise back = read_pairs_noise(path);
  EXPECT_EQ(back.networks, 4);
  EXPECT_EQ(back.images, 21);
  EXPECT_EQ(back.even_images, 10);
  EXPECT_EQ(back.odd_images, 11);
  for (auto field : {&predictor::MeasurementNoise::mean, &predictor::MeasurementNoise::spread,
                     &predictor::MeasurementNoise::split_half_r, &predictor::MeasurementNoise::reliability,
                     &predictor::MeasurementNoise::noise_se, &predictor::MeasurementNoise::diff_se,
                     &predictor::MeasurementNoise::binomial_se, &predictor::MeasurementNoise::binomial_diff_se}) {
    EXPECT_DOUBLE_EQ(back.*field, n.*field);
  }
  EXPECT_TRUE(contains(read_file(path), "\"noisy\": false"));

  const predictor::MeasurementNoise two = predictor::measurement_noise({0.5, 0.6}, {0.5, 0.7}, 10, 10);
  write_pairs_noise(path, two);
  EXPECT_TRUE(contains(read_file(path), "\"spread\": null"));
  EXPECT_TRUE(std::isnan(read_pairs_noise(path).spread));

  write_file_atomic(path, "{\"noise_se\": \"big\"}");
  const std::string message = error_of([&] { read_pairs_noise(path); });
  EXPECT_TRUE(contains(message, "noise_se")) << message;
  EXPECT_TRUE(contains(message, "pairs_noise.json")) << message;
}

}  // namespace
}  // namespace sparsenas::rundir
