#pragma once
// The accuracy-predictor interface (architecture -> predicted top-1 accuracy) and its XGBoost
// implementation, the paper's GBDT "early predictor" (section 5.2).

#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/predictor/xgboost_model.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::predictor {

/// Predicts the accuracy of architectures of one search space from (architecture, accuracy)
/// pairs. Implementations: `XgbAccuracyPredictor` here (GBDT, RF, XGBoost); the MLP and LSTM
/// comparison predictors (LibTorch) live in another library and implement the same interface.
///
/// Accuracies are in whatever unit the caller trains with (the pipeline uses top-1 as a fraction
/// in [0, 1], as `pairs.csv`); predictions come back in the same unit. Architectures must be
/// members of the predictor's space (SearchSpace::validate); inactive slots may hold any of their
/// stage's choices and do not change the prediction.
class AccuracyPredictor {
 public:
  virtual ~AccuracyPredictor() = default;

  /// Trains from scratch on `archs[i]` -> `accuracies[i]`. Throws sparsenas::Error when the sizes
  /// differ, the data are empty, an accuracy is not finite or an arch is not in the space.
  virtual void fit(const std::vector<space::Arch>& archs,
                   const std::vector<double>& accuracies) = 0;

  /// One prediction per architecture, in order. Throws when not fitted or an arch is not in the
  /// space. Used as the fitness of evolutionary search, so batch calls are the fast path.
  virtual std::vector<double> predict(const std::vector<space::Arch>& archs) const = 0;

  /// Short name for tables and files: "gbdt", "random_forest", "xgboost_default", "mlp", ...
  virtual std::string name() const = 0;
};

/// A tree-ensemble predictor over the OFA-style encoding of `features.h`.
///
/// Example:
/// ```
/// const auto space = space::SearchSpace::from_name("ofa-mbv3");
/// XgbAccuracyPredictor predictor(space, GbdtConfig::preset("gbdt"));
/// predictor.fit(train.archs(), train.accuracies());
/// std::vector<double> acc = predictor.predict(candidates);
/// predictor.save(run_dir / "predictor" / "gbdt.json");
/// ```
class XgbAccuracyPredictor : public AccuracyPredictor {
 public:
  /// Keeps a copy of `space` (the encoding depends on it). Validates `config`.
  XgbAccuracyPredictor(space::SearchSpace space, GbdtConfig config = {});

  /// Regression objectives only ("rank:pairwise" needs fit_grouped).
  void fit(const std::vector<space::Arch>& archs, const std::vector<double>& accuracies) override;
  /// As `fit`, with `group[i]` the group of row i (any ids, any order): objective "rank:pairwise"
  /// learns the order of the targets within each group only. Rows are passed to XGBoost sorted by
  /// group (stable), so the fit does not depend on how the ids interleave. Throws for a regression
  /// objective, and when the sizes differ.
  void fit_grouped(const std::vector<space::Arch>& archs, const std::vector<double>& targets,
                   const std::vector<int64_t>& group);
  std::vector<double> predict(const std::vector<space::Arch>& archs) const override;
  /// The config's kind.
  std::string name() const override;

  const space::SearchSpace& search_space() const { return space_; }
  const XgbRegressor& model() const { return model_; }
  XgbRegressor& model() { return model_; }

  /// Writes the model atomically (XgbRegressor::save).
  void save(const std::filesystem::path& path) const;
  /// Loads a model written by `save` for `space`. Throws when the model's feature count is not
  /// feature_dim(space) (a model of another space).
  static XgbAccuracyPredictor load(const std::filesystem::path& path, space::SearchSpace space);

 private:
  XgbAccuracyPredictor(space::SearchSpace space, XgbRegressor model);

  space::SearchSpace space_;
  XgbRegressor model_;
};

}  // namespace sparsenas::predictor
