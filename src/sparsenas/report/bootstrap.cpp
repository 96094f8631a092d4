#include "sparsenas/report/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sparsenas/core/error.h"

namespace sparsenas::report {

Interval percentile_interval(std::vector<double> replicates, double level) {
  SNAS_CHECK(level > 0 && level < 1, "percentile_interval: level must be in (0, 1), got ", level);
  replicates.erase(std::remove_if(replicates.begin(), replicates.end(), [](double v) { return !std::isfinite(v); }),
                   replicates.end());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (replicates.size() < 2) return {nan, nan};
  std::sort(replicates.begin(), replicates.end());
  const auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(replicates.size() - 1);
    const size_t i = static_cast<size_t>(std::floor(pos));
    const double f = pos - static_cast<double>(i);
    return i + 1 < replicates.size() ? replicates[i] + f * (replicates[i + 1] - replicates[i]) : replicates[i];
  };
  return {quantile((1 - level) / 2), quantile((1 + level) / 2)};
}

std::vector<int32_t> resample_counts(int64_t n, Rng& rng) {
  std::vector<int32_t> counts(static_cast<size_t>(std::max<int64_t>(n, 0)), 0);
  for (int64_t i = 0; i < n; ++i) ++counts[uniform_index(rng, static_cast<uint64_t>(n))];
  return counts;
}

std::vector<int64_t> resample_indices(int64_t n, Rng& rng) {
  std::vector<int64_t> out(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (auto& i : out) i = static_cast<int64_t>(uniform_index(rng, static_cast<uint64_t>(n)));
  return out;
}

double weighted_accuracy(const std::vector<uint8_t>& correct, const std::vector<int32_t>& counts) {
  SNAS_CHECK(correct.size() == counts.size(), "weighted_accuracy: ", correct.size(), " entries but ", counts.size(),
             " counts");
  int64_t hits = 0, total = 0;
  for (size_t j = 0; j < counts.size(); ++j) {
    hits += correct[j] ? counts[j] : 0;
    total += counts[j];
  }
  return total > 0 ? static_cast<double>(hits) / static_cast<double>(total)
                   : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace sparsenas::report
