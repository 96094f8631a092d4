#pragma once
// The statistic of `sparsenas check-selection` (issue 12 item 7, paper Eq. 4 tested on its own):
// on one supernet trained on the whole space, how much more accurate are the networks a selection
// chose (the sparse space) than random networks of the same MACs intervals?
//
// Estimate: per interval, the mean top-1 of its selected networks minus the mean top-1 of as many
// random networks of that interval (paired by interval, so MACs cannot explain the difference);
// overall, the unweighted mean of the interval differences (every interval counts once, as every
// interval contributes the same number of networks to a sparse space).
//
// Interval: a two-way percentile bootstrap. Each replicate (1) draws the evaluation images with
// replacement, one draw for every network (paired: an image that is hard for every network moves
// both sides alike), and (2) within each interval draws the selected networks and the random
// networks with replacement, independently. Why networks: the claim is about the selection rule,
// not about these particular networks, and which random networks happened to be drawn is the
// largest source of variation at a few networks per interval; why images too: the accuracies are
// measured on a finite set of images, and that noise does not cancel between different networks.
// With 1 network per side in an interval, its network resampling is degenerate (only image noise
// remains there); the overall interval still pools every interval's variation. The interval errs
// on the wide side: a network's resampled accuracy already carries its own image noise, so drawing
// images as well counts the part of it that is not shared between networks twice (on synthetic
// data with errors independent across networks, 119 of 120 intervals covered the truth:
// tests/report/statistics_test.cpp); on real networks, whose errors are largely on the same
// images, the double count is smaller.

#include <cstdint>
#include <vector>

#include "sparsenas/report/bootstrap.h"

namespace sparsenas::report {

/// One interval's networks: per network its per-image correctness on the same images.
struct SelectionInterval {
  std::vector<std::vector<uint8_t>> selected;
  std::vector<std::vector<uint8_t>> random;
};

/// The estimate and its 95% interval, per interval (in input order) and overall. Differences and
/// means are fractions.
struct SelectionDifference {
  struct Row {
    double selected_mean = 0, random_mean = 0, difference = 0;
    Interval ci95{};
  };
  std::vector<Row> intervals;
  double selected_mean = 0, random_mean = 0;  ///< unweighted means over the intervals
  double difference = 0;
  Interval ci95{};
};

/// Computes the estimate and `resamples` bootstrap replicates (seeded). Every interval needs at
/// least one network per side and every bit vector the same length (> 0); throws otherwise.
/// resamples 0: no intervals (NaN).
SelectionDifference selection_difference(const std::vector<SelectionInterval>& intervals, int64_t resamples,
                                         uint64_t seed);

}  // namespace sparsenas::report
