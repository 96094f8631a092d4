#pragma once
// The paired bootstrap of `compare` and `check-selection`: resample evaluation images (and, for
// check-selection, networks) with replacement, recompute a statistic on every side with the same
// draw, and take the percentile interval of the replicates (Efron & Tibshirani, ch. 13).
//
// "Paired" means one draw of images serves every network of every run in a replicate, so the part
// of the noise that comes from which images happen to be in the test set (easy or hard images)
// cancels in a difference, as it does in the observed value.

#include <array>
#include <cstdint>
#include <vector>

#include "sparsenas/core/random.h"

namespace sparsenas::report {

/// A 95% interval, [lo, hi]; both NaN when it could not be computed.
using Interval = std::array<double, 2>;

/// The percentile interval of `replicates` at `level` (0.95: the 2.5% and 97.5% quantiles, linear
/// interpolation between order statistics, numpy's default). Non-finite replicates are dropped;
/// fewer than 2 finite ones give {NaN, NaN}. Throws unless 0 < level < 1.
Interval percentile_interval(std::vector<double> replicates, double level = 0.95);

/// One bootstrap draw of `n` items: how often each of them was drawn in n draws with replacement
/// (multinomial counts summing to n).
std::vector<int32_t> resample_counts(int64_t n, Rng& rng);

/// Accuracy of one network under a draw of images: sum_j counts[j] * correct[j] / sum_j counts[j].
/// With every count 1 this is the plain top-1. Sizes must match (throws otherwise).
double weighted_accuracy(const std::vector<uint8_t>& correct, const std::vector<int32_t>& counts);

/// Indices of one resample with replacement of `n` items (n draws).
std::vector<int64_t> resample_indices(int64_t n, Rng& rng);

}  // namespace sparsenas::report
