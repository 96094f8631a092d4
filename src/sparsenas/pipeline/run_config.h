#pragma once
// RunConfig: every setting of `sparsenas run` (DESIGN "The pipeline", "Presets"). One JSON format;
// a preset, then a config file, then command-line flags are merged (RFC 7386 merge patch) onto the
// defaults, and the result is read strictly (unknown keys and out-of-range values are errors).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/data/data_config.h"
#include "sparsenas/predictor/xgboost_model.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/train_config.h"

namespace sparsenas::pipeline {

/// Stage 3: architecture-accuracy pairs (paper §5.2.1).
struct PairsConfig {
  int64_t count = 1000;            ///< distinct random sub-networks evaluated (paper: 1,000)
  uint64_t seed = 1;               ///< seed of the sampled architectures
  int64_t val_images = 0;          ///< validation images per network (0 = the whole split)
  int64_t bn_recal_images = 2000;  ///< training images of the BN recalibration (OFA: 2,000)
};

/// Stage 4: the early predictor and the comparison predictors (paper §5.2, Table 3).
struct PredictorStageConfig {
  predictor::GbdtConfig early = predictor::GbdtConfig::preset("gbdt");  ///< the early predictor
  /// Comparison predictors scored on the same held-out pairs: any of "random_forest",
  /// "xgboost_default", "mlp", "lstm" (the early predictor is always scored).
  std::vector<std::string> compare = {"random_forest", "xgboost_default", "mlp", "lstm"};
  double heldout_fraction = 0.2;  ///< share of the pairs held out for the metrics
  uint64_t seed = 0;              ///< seed of the split and of the neural predictors
  nlohmann::json mlp = nlohmann::json::object();   ///< NeuralPredictorConfig overrides (mlp)
  nlohmann::json lstm = nlohmann::json::object();  ///< NeuralPredictorConfig overrides (lstm)
};

/// Stage 5 additions to its SparseSpaceConfig.
struct SparseSpaceStageConfig {
  /// > 0: split the range into this many equal intervals (the interval width is derived from the
  /// range); 0: use sparse_space.interval (0 there = the paper's 1M MACs scaled to the space).
  int64_t num_intervals = 0;
};

/// Stage 6 additions to its TrainConfig.
struct SupernetStageConfig {
  std::string init = "teacher";  ///< start weights: "teacher" (paper) or "proxy" (Fig. 11 ablation)
  int64_t val_networks = 3;      ///< sparse-space networks validated after each epoch
};

/// Stage 7: the family (paper §5.7, §5.8).
struct FamilyConfig {
  int64_t val_images = 0;          ///< validation images per network (0 = all)
  int64_t test_images = 0;         ///< test images per network (0 = all)
  int64_t bn_recal_images = 2000;  ///< training images of the BN recalibration
  int64_t latency_warmup = 5;      ///< untimed batch-1 forwards before timing
  int64_t latency_repeats = 30;    ///< timed batch-1 forwards; the median is reported (0 = skip)
};

/// Everything `sparsenas run` needs. JSON keys are the field names; the training sections
/// (`teacher`, `proxy`, `supernet`) are train::TrainConfig objects, `supernet_stage` the extra
/// settings of stage 6, `sparse_space` a search::SparseSpaceConfig, `data` a data::DataConfig.
struct RunConfig {
  std::string method = "sparsenas";  ///< only "sparsenas" so far (baselines: issue 4)
  std::string preset = "quick";      ///< the preset this config was built from (informational)
  std::string space = "ofa-mbv3";    ///< search space name or JSON file
  double width_mult = 1.0;           ///< width multiplier of the space
  uint64_t seed = 0;                 ///< seed of every training stage (data order, sampling)
  int64_t threads = 0;               ///< intra-op threads of every stage (0 = all cores)
  std::string device = "cpu";        ///< "cpu", "cuda" or "cuda:N" for every stage
  data::DataConfig data;
  train::TrainConfig teacher;   ///< stage 1: the largest network alone
  train::TrainConfig proxy;     ///< stage 2: uniform sampling over the whole space
  PairsConfig pairs;            ///< stage 3
  PredictorStageConfig predictor;         ///< stage 4
  search::SparseSpaceConfig sparse_space; ///< stage 5
  SparseSpaceStageConfig sparse_space_stage; ///< stage 5 extras
  train::TrainConfig supernet;            ///< stage 6: the sparse supernet
  SupernetStageConfig supernet_stage;     ///< stage 6 extras
  FamilyConfig family;                    ///< stage 7

  /// Throws sparsenas::Error naming the field (e.g. "pairs.count"), the expected range and the
  /// actual value. Also validates every nested config.
  void validate() const;
};

nlohmann::json to_json(const RunConfig& config);
/// Strict: unknown keys (at any level) throw listing the valid keys; wrong types throw.
RunConfig run_config_from_json(const nlohmann::json& json);

/// Names of the presets: tiny, quick, standard, paper.
std::vector<std::string> preset_names();
/// The merge patch of a preset over the defaults. Throws for an unknown name, listing them.
nlohmann::json preset_patch(const std::string& name);

/// defaults <- preset <- file <- flags (each an RFC 7386 merge patch; `file` and `flags` may be
/// null), then `threads`, `device` and `seed` copied into every training section, validated.
RunConfig resolve_run_config(const std::string& preset, const nlohmann::json& file,
                             const nlohmann::json& flags);

}  // namespace sparsenas::pipeline
