#include "sparsenas/predictor/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "sparsenas/core/error.h"

namespace sparsenas::predictor {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_inputs(const char* metric, const std::vector<double>& a, const std::vector<double>& b,
                  size_t min_size) {
  SNAS_CHECK(a.size() == b.size(), metric, ": both inputs must have the same length, got ",
             a.size(), " and ", b.size());
  SNAS_CHECK(a.size() >= min_size, metric, ": needs at least ", min_size, " values, got ",
             a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SNAS_CHECK(std::isfinite(a[i]) && std::isfinite(b[i]), metric, ": values must be finite, got (",
               a[i], ", ", b[i], ") at index ", i);
  }
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Number of pairs inside runs of equal values of a sorted sequence: sum over runs of t(t-1)/2.
template <typename Equal>
int64_t tied_pairs(size_t n, Equal equal) {
  int64_t total = 0;
  size_t run = 1;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && equal(i - 1, i)) {
      ++run;
    } else {
      total += static_cast<int64_t>(run) * static_cast<int64_t>(run - 1) / 2;
      run = 1;
    }
  }
  return total;
}

// Sorts `v` ascending (stable merge sort) and returns the number of strict inversions
// (i < j with v[i] > v[j]); equal values are not inversions.
int64_t merge_sort_count_swaps(std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<double> buffer(n);
  int64_t swaps = 0;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = std::min(lo + width, n);
      const size_t hi = std::min(lo + 2 * width, n);
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          swaps += static_cast<int64_t>(mid - i);  // v[j] jumps over every remaining left value
          buffer[k++] = v[j++];
        } else {
          buffer[k++] = v[i++];
        }
      }
      while (i < mid) buffer[k++] = v[i++];
      while (j < hi) buffer[k++] = v[j++];
    }
    v.swap(buffer);
  }
  return swaps;
}

double tau_b(int64_t n0, int64_t x_ties, int64_t y_ties, int64_t both_ties, int64_t discordant) {
  const int64_t untied_x = n0 - x_ties;
  const int64_t untied_y = n0 - y_ties;
  if (untied_x == 0 || untied_y == 0) return kNaN;
  // concordant - discordant = (pairs tied in neither) - 2 * discordant
  const double numerator = static_cast<double>(n0 - x_ties - y_ties + both_ties - 2 * discordant);
  return numerator / std::sqrt(static_cast<double>(untied_x)) /
         std::sqrt(static_cast<double>(untied_y));
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean(a), mb = mean(b);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa == 0 || sbb == 0) return kNaN;
  return std::clamp(sab / std::sqrt(saa * sbb), -1.0, 1.0);
}

}  // namespace

double rmse(const std::vector<double>& predicted, const std::vector<double>& actual) {
  check_inputs("rmse", predicted, actual, 1);
  double sum = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double r = predicted[i] - actual[i];
    sum += r * r;
  }
  return std::sqrt(sum / static_cast<double>(predicted.size()));
}

double rmse_mean_shifted(const std::vector<double>& predicted, const std::vector<double>& actual) {
  check_inputs("rmse_mean_shifted", predicted, actual, 1);
  const double shift = mean(predicted) - mean(actual);
  std::vector<double> shifted(predicted.size());
  for (size_t i = 0; i < predicted.size(); ++i) shifted[i] = predicted[i] - shift;
  return rmse(shifted, actual);
}

double kendall_tau(const std::vector<double>& x, const std::vector<double>& y) {
  check_inputs("kendall_tau", x, y, 2);
  const size_t n = x.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  const int64_t n0 = static_cast<int64_t>(n) * static_cast<int64_t>(n - 1) / 2;
  const int64_t x_ties =
      tied_pairs(n, [&](size_t i, size_t j) { return x[order[i]] == x[order[j]]; });
  const int64_t both_ties = tied_pairs(n, [&](size_t i, size_t j) {
    return x[order[i]] == x[order[j]] && y[order[i]] == y[order[j]];
  });
  std::vector<double> ys(n);
  for (size_t i = 0; i < n; ++i) ys[i] = y[order[i]];
  // Within an x-run the y are ascending, so the swaps are exactly the discordant pairs.
  const int64_t discordant = merge_sort_count_swaps(ys);
  const int64_t y_ties = tied_pairs(n, [&](size_t i, size_t j) { return ys[i] == ys[j]; });
  return tau_b(n0, x_ties, y_ties, both_ties, discordant);
}

double kendall_tau_brute_force(const std::vector<double>& x, const std::vector<double>& y) {
  check_inputs("kendall_tau_brute_force", x, y, 2);
  const size_t n = x.size();
  int64_t concordant = 0, discordant = 0, x_ties = 0, y_ties = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0) ++x_ties;
      if (dy == 0) ++y_ties;
      if (dx == 0 || dy == 0) continue;
      ((dx > 0) == (dy > 0) ? concordant : discordant) += 1;
    }
  }
  const int64_t n0 = static_cast<int64_t>(n) * static_cast<int64_t>(n - 1) / 2;
  if (n0 == x_ties || n0 == y_ties) return kNaN;
  return static_cast<double>(concordant - discordant) /
         std::sqrt(static_cast<double>(n0 - x_ties)) / std::sqrt(static_cast<double>(n0 - y_ties));
}

double kendall_tau_within_groups(const std::vector<double>& x, const std::vector<double>& y,
                                 const std::vector<int64_t>& groups) {
  check_inputs("kendall_tau_within_groups", x, y, 2);
  SNAS_CHECK(groups.size() == x.size(), "kendall_tau_within_groups: ", x.size(), " values but ", groups.size(),
             " groups");
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return groups[a] < groups[b]; });
  int64_t n0 = 0, x_ties = 0, y_ties = 0, score = 0;  // score = C - D
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && groups[order[end]] == groups[order[start]]) ++end;
    for (size_t a = start; a < end; ++a) {
      for (size_t b = a + 1; b < end; ++b) {
        const double dx = x[order[a]] - x[order[b]], dy = y[order[a]] - y[order[b]];
        ++n0;
        x_ties += dx == 0;
        y_ties += dy == 0;
        if (dx != 0 && dy != 0) score += (dx > 0) == (dy > 0) ? 1 : -1;
      }
    }
    start = end;
  }
  if (n0 == x_ties || n0 == y_ties) return kNaN;
  return static_cast<double>(score) / std::sqrt(static_cast<double>(n0 - x_ties)) /
         std::sqrt(static_cast<double>(n0 - y_ties));
}

double kendall_tau_within_groups_brute_force(const std::vector<double>& x, const std::vector<double>& y,
                                             const std::vector<int64_t>& groups) {
  check_inputs("kendall_tau_within_groups_brute_force", x, y, 2);
  SNAS_CHECK(groups.size() == x.size(), "kendall_tau_within_groups_brute_force: sizes differ");
  int64_t concordant = 0, discordant = 0, x_ties = 0, y_ties = 0, n0 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      if (groups[i] != groups[j]) continue;
      ++n0;
      if (x[i] == x[j]) ++x_ties;
      if (y[i] == y[j]) ++y_ties;
      if (x[i] == x[j] || y[i] == y[j]) continue;
      if ((x[i] < x[j]) == (y[i] < y[j])) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  if (n0 == x_ties || n0 == y_ties) return kNaN;
  return static_cast<double>(concordant - discordant) /
         std::sqrt(static_cast<double>(n0 - x_ties) * static_cast<double>(n0 - y_ties));
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && values[order[end]] == values[order[start]]) ++end;
    // Positions start..end-1 hold ranks start+1..end; their average is (start + 1 + end) / 2.
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (size_t i = start; i < end; ++i) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  check_inputs("spearman_rho", x, y, 2);
  return pearson(average_ranks(x), average_ranks(y));
}

}  // namespace sparsenas::predictor
