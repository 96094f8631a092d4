#include "sparsenas/predictor/predictor.h"

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/predictor/features.h"

namespace sparsenas::predictor {

XgbAccuracyPredictor::XgbAccuracyPredictor(space::SearchSpace space, GbdtConfig config)
    : space_(std::move(space)), model_(std::move(config)) {}

XgbAccuracyPredictor::XgbAccuracyPredictor(space::SearchSpace space, XgbRegressor model)
    : space_(std::move(space)), model_(std::move(model)) {}

std::string XgbAccuracyPredictor::name() const { return model_.config().kind; }

void XgbAccuracyPredictor::fit(const std::vector<space::Arch>& archs,
                               const std::vector<double>& accuracies) {
  SNAS_CHECK(!archs.empty(), "predictor ", name(), ": fit needs at least one architecture");
  SNAS_CHECK(archs.size() == accuracies.size(), "predictor ", name(),
             ": fit needs one accuracy per architecture, got ", archs.size(), " architectures and ",
             accuracies.size(), " accuracies");
  std::vector<float> y(accuracies.size());
  for (size_t i = 0; i < accuracies.size(); ++i) {
    SNAS_CHECK(std::isfinite(accuracies[i]), "predictor ", name(), ": accuracy ", i,
               " must be finite, got ", accuracies[i]);
    y[i] = static_cast<float>(accuracies[i]);
  }
  const std::vector<float> x = encode_batch(space_, archs);
  model_.fit(x, y, static_cast<int64_t>(archs.size()), feature_dim(space_));
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
