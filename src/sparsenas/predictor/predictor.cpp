#include "sparsenas/predictor/predictor.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sparsenas/core/error.h"
#include "sparsenas/predictor/features.h"

namespace sparsenas::predictor {

XgbAccuracyPredictor::XgbAccuracyPredictor(space::SearchSpace space, GbdtConfig config)
    : space_(std::move(space)), model_(std::move(config)) {}

XgbAccuracyPredictor::XgbAccuracyPredictor(space::SearchSpace space, XgbRegressor model)
    : space_(std::move(space)), model_(std::move(model)) {}

std::string XgbAccuracyPredictor::name() const { return model_.config().kind; }

namespace {

std::vector<float> checked_targets(const std::string& name, const std::vector<space::Arch>& archs,
                                   const std::vector<double>& targets) {
  SNAS_CHECK(!archs.empty(), "predictor ", name, ": fit needs at least one architecture");
  SNAS_CHECK(archs.size() == targets.size(), "predictor ", name,
             ": fit needs one accuracy per architecture, got ", archs.size(), " architectures and ",
             targets.size(), " accuracies");
  std::vector<float> y(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    SNAS_CHECK(std::isfinite(targets[i]), "predictor ", name, ": accuracy ", i, " must be finite, got ",
               targets[i]);
    y[i] = static_cast<float>(targets[i]);
  }
  return y;
}

}  // namespace

void XgbAccuracyPredictor::fit(const std::vector<space::Arch>& archs,
                               const std::vector<double>& accuracies) {
  const std::vector<float> y = checked_targets(name(), archs, accuracies);
  const std::vector<float> x = encode_batch(space_, archs);
  model_.fit(x, y, static_cast<int64_t>(archs.size()), feature_dim(space_));
}

void XgbAccuracyPredictor::fit_grouped(const std::vector<space::Arch>& archs, const std::vector<double>& targets,
                                       const std::vector<int64_t>& group) {
  SNAS_CHECK(model_.config().objective == "rank:pairwise", "predictor ", name(), ": fit_grouped is for objective ",
             "\"rank:pairwise\", the model's is \"", model_.config().objective, "\"");
  SNAS_CHECK(group.size() == archs.size(), "predictor ", name(), ": fit_grouped needs one group per architecture, got ",
             group.size(), " groups and ", archs.size(), " architectures");
  checked_targets(name(), archs, targets);
  std::vector<size_t> order(archs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return group[a] < group[b]; });
  std::vector<space::Arch> sorted_archs;
  std::vector<float> y;
  std::vector<unsigned> sizes;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    sorted_archs.push_back(archs[i]);
    y.push_back(static_cast<float>(targets[i]));
    if (k == 0 || group[i] != group[order[k - 1]]) sizes.push_back(0);
    ++sizes.back();
  }
  const std::vector<float> x = encode_batch(space_, sorted_archs);
  model_.fit(x, y, static_cast<int64_t>(sorted_archs.size()), feature_dim(space_), sizes);
}

std::vector<double> XgbAccuracyPredictor::predict(const std::vector<space::Arch>& archs) const {
  SNAS_CHECK(model_.fitted(), "predictor ", name(), ": predict before fit (or load)");
  const std::vector<float> x = encode_batch(space_, archs);
  const std::vector<float> p = model_.predict(x.data(), static_cast<int64_t>(archs.size()));
  return std::vector<double>(p.begin(), p.end());
}

void XgbAccuracyPredictor::save(const std::filesystem::path& path) const { model_.save(path); }

XgbAccuracyPredictor XgbAccuracyPredictor::load(const std::filesystem::path& path,
                                                space::SearchSpace space) {
  XgbRegressor model = XgbRegressor::load(path);
  const int dim = feature_dim(space);
  SNAS_CHECK(model.num_features() == dim, "predictor model ", path, " reads ", model.num_features(),
             " features, but space ", space.name(), " encodes to ", dim,
             " (a model of another search space?)");
  return XgbAccuracyPredictor(std::move(space), std::move(model));
}

}  // namespace sparsenas::predictor
