#include "sparsenas/report/curve_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "sparsenas/core/error.h"

namespace sparsenas::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

LineFit least_squares(const std::vector<double>& x, const std::vector<double>& y) {
  SNAS_CHECK(x.size() == y.size(), "least_squares: ", x.size(), " x values but ", y.size(), " y values");
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return {kNaN, kNaN};
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(sxx > 0)) return {kNaN, kNaN};
  const double slope = sxy / sxx;
  return {my - slope * mx, slope};
}

SlopeEstimate accuracy_slope(const std::vector<int64_t>& macs, const std::vector<double>& top1, int64_t resamples,
                             uint64_t seed) {
  SNAS_CHECK(macs.size() == top1.size(), "accuracy_slope: ", macs.size(), " MACs but ", top1.size(), " accuracies");
  std::vector<double> x, y;
  for (size_t i = 0; i < macs.size(); ++i) {
    x.push_back(std::log2(static_cast<double>(macs[i])));
    y.push_back(top1[i] * 100);
  }
  SlopeEstimate out;
  out.networks = static_cast<int64_t>(x.size());
  out.slope = least_squares(x, y).slope;
  out.ci95 = {kNaN, kNaN};
  if (!std::isfinite(out.slope)) return out;
  Rng rng(mix_seed(seed, 0x534c'4f50'4500ULL));
  std::vector<double> replicates;
  std::vector<double> bx(x.size()), by(y.size());
  for (int64_t b = 0; b < resamples; ++b) {
    const std::vector<int64_t> idx = resample_indices(static_cast<int64_t>(x.size()), rng);
    for (size_t i = 0; i < idx.size(); ++i) {
      bx[i] = x[static_cast<size_t>(idx[i])];
      by[i] = y[static_cast<size_t>(idx[i])];
    }
    replicates.push_back(least_squares(bx, by).slope);  // NaN when all drawn MACs are equal: dropped
  }
  out.ci95 = percentile_interval(replicates);
  return out;
}

double ParetoCurve::at(int64_t macs) const {
  if (log_macs.empty()) return kNaN;
  const double x = std::log(static_cast<double>(macs));
  if (x < log_macs.front() || x > log_macs.back()) return kNaN;
  const size_t hi = static_cast<size_t>(std::lower_bound(log_macs.begin(), log_macs.end(), x) - log_macs.begin());
  if (log_macs[hi] == x) return top1[hi];
  const size_t lo = hi - 1;
  const double f = (x - log_macs[lo]) / (log_macs[hi] - log_macs[lo]);
  return top1[lo] + f * (top1[hi] - top1[lo]);
}

ParetoCurve pareto_curve(const std::vector<int64_t>& macs, const std::vector<double>& top1) {
  SNAS_CHECK(macs.size() == top1.size(), "pareto_curve: ", macs.size(), " MACs but ", top1.size(), " accuracies");
  std::vector<size_t> order(macs.size());
  std::iota(order.begin(), order.end(), 0);
  // Ascending MACs; of equal MACs the most accurate first, so it is the one kept.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return macs[a] != macs[b] ? macs[a] < macs[b] : top1[a] > top1[b];
  });
  ParetoCurve c;
  double best = -std::numeric_limits<double>::infinity();
  int64_t last_macs = -1;
  for (size_t i : order) {
    if (!std::isfinite(top1[i]) || macs[i] <= 0) continue;
    if (macs[i] == last_macs || top1[i] <= best) continue;
    c.log_macs.push_back(std::log(static_cast<double>(macs[i])));
    c.top1.push_back(top1[i]);
    best = top1[i];
    last_macs = macs[i];
  }
  return c;
}

double ShareAbove::share() const { return compared > 0 ? static_cast<double>(above) / compared : kNaN; }

ShareAbove share_above(const ParetoCurve& curve, const std::vector<int64_t>& macs, const std::vector<double>& top1) {
  SNAS_CHECK(macs.size() == top1.size(), "share_above: ", macs.size(), " MACs but ", top1.size(), " accuracies");
  ShareAbove s;
  for (size_t i = 0; i < macs.size(); ++i) {
    const double c = curve.at(macs[i]);
    if (!std::isfinite(c)) {
      ++s.outside;
      continue;
    }
    ++s.compared;
    s.above += top1[i] > c;
  }
  return s;
}

}  // namespace sparsenas::report
