#pragma once
// Shape statistics of a family's accuracy-vs-MACs cloud, for `compare`: the slope of accuracy
// against log MACs, and the share of one family's networks above another family's curve (the
// paper, §5.4: "over 70% sub-networks in SparseNAS achieve higher network performance than
// CompOFA's ... under similar MACs constraints").

#include <cstdint>
#include <vector>

#include "sparsenas/report/bootstrap.h"

namespace sparsenas::report {

/// Ordinary least squares y = intercept + slope * x. Needs >= 2 points with distinct x (else both
/// NaN). Sizes must match (throws otherwise).
struct LineFit {
  double intercept = 0, slope = 0;
};
LineFit least_squares(const std::vector<double>& x, const std::vector<double>& y);

/// The slope of top-1 (in points, i.e. percent) against log2 MACs: points gained per doubling of
/// MACs, fitted over a family's networks. The interval is a case bootstrap over the networks
/// (resample networks with replacement, refit; `resamples` replicates, percentile 95%, seeded),
/// so it says how well the family's networks pin the slope down, not how noisy each accuracy is.
struct SlopeEstimate {
  int64_t networks = 0;
  double slope = 0;  ///< points per doubling of MACs; NaN with < 2 distinct MACs
  Interval ci95{};
};
SlopeEstimate accuracy_slope(const std::vector<int64_t>& macs, const std::vector<double>& top1, int64_t resamples,
                             uint64_t seed);

/// A family's curve: the piecewise-linear interpolation over log MACs of its Pareto front (the
/// networks that no network with fewer or equal MACs beats in accuracy; of equal MACs the most
/// accurate), as OFA's and CompOFA's accuracy-vs-MACs plots draw it. Defined from the front's
/// smallest to its largest MACs; outside that range there is no curve.
struct ParetoCurve {
  std::vector<double> log_macs;  ///< ascending
  std::vector<double> top1;      ///< non-decreasing

  /// The curve at `macs`; NaN outside [front's min, max].
  double at(int64_t macs) const;
};
ParetoCurve pareto_curve(const std::vector<int64_t>& macs, const std::vector<double>& top1);

/// How many networks lie strictly above `curve` (accuracy > curve at their MACs), of those whose
/// MACs the curve covers; networks outside its MACs range are counted in `outside` only.
struct ShareAbove {
  int64_t above = 0, compared = 0, outside = 0;
  double share() const;  ///< above / compared (NaN when nothing was compared)
};
ShareAbove share_above(const ParetoCurve& curve, const std::vector<int64_t>& macs, const std::vector<double>& top1);

}  // namespace sparsenas::report
