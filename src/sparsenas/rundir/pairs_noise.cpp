#include "sparsenas/rundir/pairs_noise.h"

#include <nlohmann/json.hpp>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/json_read.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

void write_pairs_noise(const std::filesystem::path& path, const predictor::MeasurementNoise& n) {
  const json j = {{"networks", n.networks},
                  {"images", n.images},
                  {"even_images", n.even_images},
                  {"odd_images", n.odd_images},
                  {"mean", number_or_null(n.mean)},
                  {"spread", number_or_null(n.spread)},
                  {"split_half_r", number_or_null(n.split_half_r)},
                  {"reliability", number_or_null(n.reliability)},
                  {"noise_se", number_or_null(n.noise_se)},
                  {"diff_se", number_or_null(n.diff_se)},
                  {"binomial_se", number_or_null(n.binomial_se)},
                  {"binomial_diff_se", number_or_null(n.binomial_diff_se)},
                  {"noisy", n.noisy()}};
  write_json_file(path, j);
}

predictor::MeasurementNoise read_pairs_noise(const std::filesystem::path& path) {
  const json j = read_json_file(path);
  const std::string where = path.string();
  SNAS_CHECK(j.is_object(), where, ": expected a JSON object, got ", j.type_name());
  predictor::MeasurementNoise n;
  detail::read_count(j, "networks", n.networks, where);
  detail::read_count(j, "images", n.images, where);
  detail::read_count(j, "even_images", n.even_images, where);
  detail::read_count(j, "odd_images", n.odd_images, where);
  detail::read_number(j, "mean", n.mean, where);
  detail::read_number(j, "spread", n.spread, where);
  detail::read_number(j, "split_half_r", n.split_half_r, where);
  detail::read_number(j, "reliability", n.reliability, where);
  detail::read_number(j, "noise_se", n.noise_se, where);
  detail::read_number(j, "diff_se", n.diff_se, where);
  detail::read_number(j, "binomial_se", n.binomial_se, where);
  detail::read_number(j, "binomial_diff_se", n.binomial_diff_se, where);
  return n;
}

}  // namespace sparsenas::rundir
