#pragma once
// The noise of the pairs' own measurement beside the pairs' spread (issue 12 item 3): can
// accuracies measured on a fixed set of evaluation images rank the networks at all?
//
// Each network is evaluated on the same images, split into two halves (even and odd positions).
// The half accuracies give split-half reliability: if accuracy differences between networks were
// pure measurement noise, the two halves would not agree (r = 0); if they were pure signal, they
// would agree perfectly (r = 1).

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace sparsenas::predictor {

/// Measurement noise and spread of a set of networks' accuracies (fractions). NaN where undefined
/// (fewer than 3 networks, no spread, or halves not measured).
struct MeasurementNoise {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  int64_t networks = 0;      ///< networks measured on both halves
  int64_t images = 0;        ///< evaluation images per network (even_images + odd_images)
  int64_t even_images = 0;   ///< images at even positions 0, 2, 4, ...
  int64_t odd_images = 0;    ///< images at odd positions 1, 3, 5, ...
  double mean = kNaN;        ///< mean accuracy over networks (on all images)
  /// The pairs' spread: sample std (n - 1) over networks of the accuracy on all images. It holds
  /// both the networks' true differences and the measurement noise.
  double spread = kNaN;
  /// Pearson correlation over networks between the even-half and the odd-half accuracies.
  double split_half_r = kNaN;
  /// Spearman-Brown reliability of the whole set, 2r / (1 + r): the share of the spread's variance
  /// that is true difference between networks (1 - noise_se^2 / spread^2 in expectation).
  double reliability = kNaN;
  /// Empirical standard error of one network's accuracy on all images: with d = a_even - a_odd per
  /// network, sd(d) * sqrt(even_images * odd_images) / images (= sd(d) / 2 for equal halves),
  /// sd with n - 1. The halves' mean difference (one half is easier) is common to all networks and
  /// drops out, as it does in any ranking; what remains is the network-specific noise.
  double noise_se = kNaN;
  /// Empirical standard error of the difference between two networks: sqrt(2) * noise_se
  /// (networks' noises taken as independent; networks that err alike differ by less).
  double diff_se = kNaN;
  /// Binomial standard error of one accuracy, sqrt(mean (1 - mean) / images): the noise if each
  /// network saw its own independent images. Larger than noise_se when networks err on the same
  /// images, as they do here.
  double binomial_se = kNaN;
  /// sqrt(2) * binomial_se: the binomial standard error of a difference between two networks.
  double binomial_diff_se = kNaN;

  /// True when the noise of one measurement exceeds half the spread (noise_se > spread / 2, i.e.
  /// reliability below about 0.75): the pairs cannot rank their networks well. False when
  /// either is NaN.
  bool noisy() const { return noise_se > spread / 2; }
};

/// The noise of networks measured on two halves of one image set: `even[i]` and `odd[i]` are
/// network i's accuracies (fractions) on `even_images` and `odd_images` images; its accuracy on
/// all images is their image-weighted mean. Throws sparsenas::Error when the sizes differ, an
/// accuracy is not in [0, 1], or an image count is below 1.
MeasurementNoise measurement_noise(const std::vector<double>& even, const std::vector<double>& odd,
                                   int64_t even_images, int64_t odd_images);

}  // namespace sparsenas::predictor
