#pragma once
// Gradient-boosted trees and random forests through the XGBoost C API: the GBDT "early predictor"
// of the paper (section 5.2, Table 3) and its RF / XGBoost comparison regressors.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sparsenas::predictor {

/// Settings of one tree-ensemble regressor. Plain data; `validate()` checks it; `to_json` /
/// `from_json` are its only serialisation.
///
/// `kind` picks a preset (`GbdtConfig::preset`) reproducing one regressor of the paper's Table 3:
/// "The RF, GBDT and XGBoost regressor contain 100 estimators trained with a learning rate of
/// 0.01. Other models use the original settings." The paper's GBDT and RF are scikit-learn's
/// (GradientBoostingRegressor, RandomForestRegressor); here both are emulated with XGBoost.
/// Every setting below is passed to XGBoost explicitly; nothing relies on an XGBoost default.
///
/// | field            | "gbdt" (default) | "random_forest" | "xgboost_default" |
/// |------------------|------------------|-----------------|-------------------|
/// | num_estimators   | 100 rounds       | 100 trees, 1 round (num_parallel_tree) | 100 rounds |
/// | learning_rate    | 0.01             | 1.0             | 0.01              |
/// | max_depth        | 3                | 0 (unlimited)   | 6                 |
/// | min_child_weight | 1                | 1               | 1                 |
/// | reg_lambda       | 0                | 0               | 1                 |
/// | subsample        | 1.0              | 0.632           | 1.0               |
/// | colsample_bynode | 1.0              | 1.0             | 1.0               |
/// | tree_method      | "hist"           | "hist"          | "exact"           |
/// | base_score       | mean(y)          | mean(y)         | mean(y)           |
/// | objective        | reg:squarederror | reg:squarederror | reg:squarederror |
///
/// `objective` "rank:pairwise" (an option beyond the paper, issue 12 item 6) fits a ranking instead
/// of a regression: LambdaMART's pairwise logistic loss over the pairs of rows within one group
/// (`fit`'s `groups`), so only the order within a group is learnt; predictions are scores on no
/// particular scale (comparable within a group, meaningless as accuracies). The pipeline groups the
/// pairs by MACs interval, the comparison the sparse space makes.
///
/// Why (sklearn 1.x defaults; squared loss, so a row's hessian is 1 and min_child_weight counts
/// rows):
/// - gbdt = GradientBoostingRegressor(n_estimators=100, learning_rate=0.01): depth-3 trees
///   (max_depth=3), no L2 penalty on leaf values (sklearn has none: reg_lambda=0, so a leaf value
///   is the mean residual of its rows, exactly sklearn's), min_samples_leaf=1 (min_child_weight=1),
///   no row or column subsampling (subsample=1.0, max_features=None), and the initial prediction is
///   the mean target (sklearn's DummyRegressor init; base_score=mean). sklearn's "friedman_mse"
///   split score n_l*n_r/n*(mean_l - mean_r)^2 is the squared-error reduction that XGBoost's gain
///   with lambda 0 also measures. Checked: predictions equal sklearn 1.2.1's to 1e-5 (float32 vs
///   float64) on 800 ofa-mbv3 pairs (tests/predictor/sklearn_reference_test.cpp). They can differ
///   where two splits are equally good: sklearn breaks such ties by a random feature order, XGBoost
///   by feature index (sklearn's own random_state then changes its predictions too). tree_method
///   "hist" instead of sklearn's exact greedy search: the encodings are 0/1 one-hots, so a
///   histogram has the same candidate splits as the exact search (one per feature), and it is
///   faster.
/// - random_forest = RandomForestRegressor(n_estimators=100): 100 trees grown in one round
///   (num_parallel_tree=100) with learning_rate 1, so the prediction is base_score plus the mean of
///   the trees' residual fits, i.e. the forest average. sklearn's RF has no learning rate; the
///   paper's "0.01" cannot apply (with eta 0.01 the forest would move 1% of the way from the base
///   score). Unlimited depth (sklearn max_depth=None; XGBoost 1.7 accepts max_depth=0 with
///   tree_method hist), min_samples_leaf=1, no L2 penalty, all features at every
///   split (sklearn >= 1.1 regression default max_features=1.0). Bootstrap: XGBoost samples rows
///   without replacement, so subsample=0.632 (the expected share of distinct rows in a bootstrap
///   sample, 1 - 1/e) stands in for sampling n rows with replacement; per-tree row weights of 2, 3,
///   ... are not reproduced.
/// - xgboost_default = xgboost.XGBRegressor(n_estimators=100, learning_rate=0.01), XGBoost 1.7's
///   defaults otherwise: max_depth 6, lambda 1, min_child_weight 1, no subsampling, and "auto" tree
///   method, which 1.7 resolves to "exact" for data this small. One departure: base_score is the
///   mean target (what XGBoost >= 2.0 estimates) instead of 1.7's constant 0.5; set
///   `base_score = 0.5` for the literal 1.7 behaviour.
///
/// Threads: `nthread` is always passed to XGBoost, never left to OpenMP's default (linking
/// LibTorch sets OpenMP to 1 thread; with another process on 2 cores, 2 spinning OpenMP threads can
/// be several times slower than 1: build-notes P1, P8).
///
/// Determinism: a fit is a function of the data and this config: sampling is reseeded from
/// (seed, round) every round (seed_per_iteration), so earlier boosters in the process do not
/// matter. 1 and 2 threads gave bit-identical models on 1000 ofa-mbv3 pairs for all three kinds,
/// but XGBoost does not promise that in general (sums may be reordered).
///
/// Example (JSON; keys not given keep the preset's value):
/// ```
/// {"kind": "random_forest", "nthread": 2}
/// ```
struct GbdtConfig {
  static constexpr const char* kName = "GbdtConfig";  ///< prefix of field names in errors

  std::string kind = "gbdt";
  int64_t num_estimators = 100;
  double learning_rate = 0.01;
  int64_t max_depth = 3;
  double min_child_weight = 1.0;
  double reg_lambda = 0.0;
  double subsample = 1.0;
  double colsample_bynode = 1.0;
  std::string tree_method = "hist";
  std::string objective = "reg:squarederror";
  std::optional<double> base_score;
  uint64_t seed = 0;
  int64_t nthread = 1;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h). Checks between
  /// fields and of base_score and seed are in validate().
  template <class V>
  void fields(V& v) {
    v("kind", kind, "preset of the regressor").one_of({"gbdt", "random_forest", "xgboost_default"});
    v("num_estimators", num_estimators, "boosting rounds; for random_forest the trees of the forest")
        .range(1, 100000);
    v("learning_rate", learning_rate, "XGBoost eta (shrinkage of each round)").range(0, 1, "(]");
    v("max_depth", max_depth, "tree depth; 0 = unlimited (needs tree_method \"hist\")").range(0, 64);
    v("min_child_weight", min_child_weight, "minimum hessian sum (= rows, squared loss) in a child")
        .min(0);
    v("reg_lambda", reg_lambda, "L2 penalty on leaf values (XGBoost lambda)").min(0);
    v("subsample", subsample, "share of rows sampled, without replacement, per tree")
        .range(0, 1, "(]");
    v("colsample_bynode", colsample_bynode, "share of features considered at each split")
        .range(0, 1, "(]");
    v("tree_method", tree_method, "XGBoost tree method").one_of({"hist", "exact", "approx"});
    v("objective", objective, "XGBoost objective: regression of the target, or ranking within groups")
        .one_of({"reg:squarederror", "rank:pairwise"});
    v("base_score", base_score, "initial prediction; null = mean of the training targets");
    v("seed", seed, "seed of row/column sampling (at most 2^63 - 1)");
    v("nthread", nthread, "OpenMP threads of fit and predict (always passed on)").range(1, 4096);
  }

  /// The exact settings of `kind` (table above); throws for an unknown kind, listing the kinds.
  static GbdtConfig preset(const std::string& kind);

  /// True for kind "random_forest": `num_estimators` trees in one round.
  bool is_forest() const { return kind == "random_forest"; }

  /// Throws sparsenas::Error naming the field, the expected range and the actual value.
  void validate() const;
};

/// Writes every field (`base_score` as null when empty).
void to_json(nlohmann::json& json, const GbdtConfig& config);
/// Reads a JSON object. When it has "kind", the config is first reset to
/// `GbdtConfig::preset(kind)`; the other keys present then override single fields (absent keys keep
/// their values). Unknown keys and wrongly typed values throw sparsenas::Error listing the valid
/// keys. Does not call validate().
void from_json(const nlohmann::json& json, GbdtConfig& config);

/// A tree-ensemble regressor on dense float features (one XGBoost booster).
///
/// Example:
/// ```
/// XgbRegressor model(GbdtConfig::preset("gbdt"));
/// model.fit(x, y, num_rows, num_cols);          // x row-major, num_rows x num_cols
/// std::vector<float> p = model.predict(x_new);  // x_new.size() / num_cols rows
/// model.save("predictor/gbdt.json");
/// XgbRegressor same = XgbRegressor::load("predictor/gbdt.json");
/// ```
///
/// Not thread-safe: use one object from one thread at a time. Move-only.
class XgbRegressor {
 public:
  /// Validates `config`.
  explicit XgbRegressor(GbdtConfig config = {});
  ~XgbRegressor();
  XgbRegressor(XgbRegressor&&) noexcept;
  XgbRegressor& operator=(XgbRegressor&&) noexcept;

  /// Trains from scratch (a previous fit is discarded). `x`: [num_rows, num_cols] row-major;
  /// `y`: [num_rows]. `groups`: the sizes of consecutive row groups (summing to num_rows), required
  /// by objective "rank:pairwise" and refused by a regression. Throws sparsenas::Error when the
  /// sizes disagree, the data are empty or a value is not finite, and when XGBoost fails (with its
  /// message).
  void fit(const std::vector<float>& x, const std::vector<float>& y, int64_t num_rows,
           int64_t num_cols, const std::vector<unsigned>& groups = {});

  /// Predictions for x.size() / num_features() rows of `x` ([rows, num_features()] row-major).
  /// Throws when not fitted or when x.size() is not a multiple of num_features().
  std::vector<float> predict(const std::vector<float>& x) const;
  /// The same for `num_rows` rows at `x`.
  std::vector<float> predict(const float* x, int64_t num_rows) const;

  bool fitted() const;
  /// Columns seen by fit (or stored in the loaded model); 0 before.
  int64_t num_features() const;
  const GbdtConfig& config() const;
  /// Sets the thread count of later predictions (e.g. after `load`).
  void set_nthread(int64_t nthread);

  /// Writes the model atomically as XGBoost JSON (loadable by any XGBoost >= 1.0 with
  /// `Booster.load_model`); the GbdtConfig is stored in the learner attribute "sparsenas_config".
  /// Throws when not fitted or when the file cannot be written.
  void save(const std::filesystem::path& path) const;
  /// Reads a model written by `save`. Errors name the file (missing, not XGBoost JSON, or without
  /// the "sparsenas_config" attribute).
  static XgbRegressor load(const std::filesystem::path& path);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sparsenas::predictor
