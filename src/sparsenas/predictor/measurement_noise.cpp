#include "sparsenas/predictor/measurement_noise.h"

#include "sparsenas/core/error.h"

namespace sparsenas::predictor {

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Sample variance (n - 1).
double variance(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

}  // namespace

MeasurementNoise measurement_noise(const std::vector<double>& even, const std::vector<double>& odd,
                                   int64_t even_images, int64_t odd_images) {
  SNAS_CHECK(even.size() == odd.size(), "measurement_noise: ", even.size(), " even-half and ", odd.size(),
             " odd-half accuracies; expected one of each per network");
  SNAS_CHECK(even_images >= 1 && odd_images >= 1, "measurement_noise: each half needs at least 1 image, got ",
             even_images, " and ", odd_images);
  for (size_t i = 0; i < even.size(); ++i) {
    SNAS_CHECK(even[i] >= 0 && even[i] <= 1 && odd[i] >= 0 && odd[i] <= 1, "measurement_noise: network ", i,
               ": accuracies must be fractions in [0, 1], got ", even[i], " and ", odd[i]);
  }
  MeasurementNoise out;
  out.networks = static_cast<int64_t>(even.size());
  out.even_images = even_images;
  out.odd_images = odd_images;
  out.images = even_images + odd_images;
  if (even.empty()) return out;
  const double n = static_cast<double>(out.images);
  std::vector<double> all(even.size()), diff(even.size());
  for (size_t i = 0; i < even.size(); ++i) {
    all[i] = (even[i] * static_cast<double>(even_images) + odd[i] * static_cast<double>(odd_images)) / n;
    diff[i] = even[i] - odd[i];
  }
  out.mean = mean(all);
  out.binomial_se = std::sqrt(out.mean * (1 - out.mean) / n);
  out.binomial_diff_se = std::sqrt(2.0) * out.binomial_se;
  if (even.size() < 3) return out;
  out.spread = std::sqrt(variance(all));
  out.noise_se = std::sqrt(variance(diff) * static_cast<double>(even_images) * static_cast<double>(odd_images)) / n;
  out.diff_se = std::sqrt(2.0) * out.noise_se;
  const double ve = variance(even), vo = variance(odd);
  if (ve > 0 && vo > 0) {
    const double me = mean(even), mo = mean(odd);
    double cov = 0;
    for (size_t i = 0; i < even.size(); ++i) cov += (even[i] - me) * (odd[i] - mo);
    cov /= static_cast<double>(even.size() - 1);
    out.split_half_r = cov / std::sqrt(ve * vo);
    if (out.split_half_r > -1) out.reliability = 2 * out.split_half_r / (1 + out.split_half_r);
  }
  return out;
}

}  // namespace sparsenas::predictor
