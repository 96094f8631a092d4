#include "sparsenas/report/selection_stats.h"

#include <array>
#include <cmath>
#include <limits>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"

namespace sparsenas::report {

SelectionDifference selection_difference(const std::vector<SelectionInterval>& intervals, int64_t resamples,
                                         uint64_t seed) {
  SNAS_CHECK(!intervals.empty(), "selection_difference: no intervals");
  SNAS_CHECK(resamples >= 0, "selection_difference: resamples must be >= 0, got ", resamples);
  int64_t images = -1;
  for (size_t k = 0; k < intervals.size(); ++k) {
    SNAS_CHECK(!intervals[k].selected.empty() && !intervals[k].random.empty(), "selection_difference: interval ", k,
               " needs at least one selected and one random network");
    for (const auto* side : {&intervals[k].selected, &intervals[k].random}) {
      for (const auto& bits : *side) {
        if (images < 0) images = static_cast<int64_t>(bits.size());
        SNAS_CHECK(static_cast<int64_t>(bits.size()) == images && images > 0, "selection_difference: interval ", k,
                   " has a network with ", bits.size(), " images, expected ", images, " (> 0)");
      }
    }
  }
  const std::vector<int32_t> ones(static_cast<size_t>(images), 1);
  // Per interval and side, each network's accuracy under `counts`.
  const auto accuracies = [&](const std::vector<int32_t>& counts) {
    std::vector<std::array<std::vector<double>, 2>> acc(intervals.size());
    for (size_t k = 0; k < intervals.size(); ++k) {
      for (const auto& b : intervals[k].selected) acc[k][0].push_back(weighted_accuracy(b, counts));
      for (const auto& b : intervals[k].random) acc[k][1].push_back(weighted_accuracy(b, counts));
    }
    return acc;
  };
  const auto mean = [](const std::vector<double>& v, const std::vector<int64_t>* pick) {
    double sum = 0;
    if (pick) {
      for (int64_t i : *pick) sum += v[static_cast<size_t>(i)];
      return sum / static_cast<double>(pick->size());
    }
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };

  SelectionDifference out;
  const auto observed = accuracies(ones);
  for (size_t k = 0; k < intervals.size(); ++k) {
    SelectionDifference::Row row;
    row.selected_mean = mean(observed[k][0], nullptr);
    row.random_mean = mean(observed[k][1], nullptr);
    row.difference = row.selected_mean - row.random_mean;
    out.selected_mean += row.selected_mean / static_cast<double>(intervals.size());
    out.random_mean += row.random_mean / static_cast<double>(intervals.size());
    out.intervals.push_back(row);
  }
  out.difference = out.selected_mean - out.random_mean;

  Rng rng(mix_seed(seed, 0x5345'4c45'4354ULL));
  std::vector<std::vector<double>> per_interval(intervals.size());
  std::vector<double> overall;
  for (int64_t b = 0; b < resamples; ++b) {
    const auto acc = accuracies(resample_counts(images, rng));
    double total = 0;
    for (size_t k = 0; k < intervals.size(); ++k) {
      const std::vector<int64_t> s = resample_indices(static_cast<int64_t>(acc[k][0].size()), rng);
      const std::vector<int64_t> r = resample_indices(static_cast<int64_t>(acc[k][1].size()), rng);
      const double d = mean(acc[k][0], &s) - mean(acc[k][1], &r);
      per_interval[k].push_back(d);
      total += d;
    }
    overall.push_back(total / static_cast<double>(intervals.size()));
  }
  for (size_t k = 0; k < intervals.size(); ++k) out.intervals[k].ci95 = percentile_interval(per_interval[k]);
  out.ci95 = percentile_interval(overall);
  return out;
}

}  // namespace sparsenas::report
