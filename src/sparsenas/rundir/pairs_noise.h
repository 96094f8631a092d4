#pragma once
// `pairs_noise.json`: the pairs stage's measurement noise beside the pairs' spread
// (predictor/measurement_noise.h), written by the pairs stage, read by the report.
//
// Format: one JSON object with the keys of MeasurementNoise, numbers as fractions, NaN as null:
// `{"networks": 120, "images": 2000, "even_images": 1000, "odd_images": 1000, "mean": 0.717,
//   "spread": 0.008, "split_half_r": 0.41, "reliability": 0.58, "noise_se": 0.0052,
//   "diff_se": 0.0074, "binomial_se": 0.0101, "binomial_diff_se": 0.0143, "noisy": true}`.
// "noisy" is written for readers of the file and ignored on reading (it is recomputed).

#include <filesystem>

#include "sparsenas/predictor/measurement_noise.h"

namespace sparsenas::rundir {

/// Writes `pairs_noise.json` atomically.
void write_pairs_noise(const std::filesystem::path& path, const predictor::MeasurementNoise& noise);
/// Reads it; missing or null keys stay NaN / 0, a wrongly typed one is an error naming the file and
/// the key.
predictor::MeasurementNoise read_pairs_noise(const std::filesystem::path& path);

}  // namespace sparsenas::rundir
