#pragma once
// RunConfig: every setting of `sparsenas run` (DESIGN "The pipeline", "Presets"). One JSON format;
// a preset, then a config file, then command-line flags are merged (RFC 7386 merge patch) onto the
// defaults, and the result is read strictly (unknown keys and out-of-range values are errors).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
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
  /// Re-sort the middle channels by importance after loading the start weights, as OFA's expand
  /// phases and CompOFA do (re_organize_middle_weights). The paper does not say SparseNAS does:
  /// false (an ablation switch).
  bool resort_channels = false;
};

/// Stage 7: the family (paper §5.7, §5.8).
struct FamilyConfig {
  int64_t val_images = 0;          ///< validation images per network (0 = all)
  int64_t test_images = 0;         ///< test images per network (0 = all)
  int64_t bn_recal_images = 2000;  ///< training images of the BN recalibration
  int64_t latency_warmup = 5;      ///< untimed batch-1 forwards before timing
  int64_t latency_repeats = 30;    ///< timed batch-1 forwards; the median is reported (0 = skip)
};

/// The methods `sparsenas run --method` runs (issue 4): "sparsenas" and the baselines.
const std::vector<std::string>& method_names();

/// OFA progressive shrinking (reference ofa_compofa.md §3.1, paper Table 4): five phases after
/// the teacher, each started from the previous one's weights (the kernel phase from the teacher).
/// Every phase distils from the teacher. Expand phases re-sort the channels first.
struct OfaConfig {
  train::TrainConfig kernel;         ///< ks {3,5,7}, e max, d max; n_sub 1; 125 epochs (5 warm-up)
  train::TrainConfig depth_warmup;   ///< depth phase 1: d the two largest; n_sub 2; 25 epochs
  train::TrainConfig depth;          ///< depth phase 2: every d; n_sub 2; 125 epochs (5 warm-up)
  train::TrainConfig expand_warmup;  ///< expand phase 1: e the two largest; n_sub 4; 25 epochs
  train::TrainConfig expand;         ///< expand phase 2: every e; n_sub 4; 125 epochs (5 warm-up)
};

/// CompOFA (reference §7.2): the 243 coupled networks of the `compofa` space, trained from the
/// teacher in two phases with full channel re-sorting first, n_sub 4, no kernel transform.
struct CompofaConfig {
  train::TrainConfig warmup;  ///< phase 1: 25 epochs
  train::TrainConfig train;   ///< phase 2: 125 epochs (5 warm-up)
};

/// The random sub-space of paper §3.3 / Fig. 3: uniform sampling over N random networks, trained
/// as the sparse supernet (the `supernet` section), evaluated whole as the family.
struct RandomSubspaceConfig {
  int64_t networks = 2000;  ///< N (paper: 2,000)
  uint64_t seed = 2;        ///< seed of the sampled networks
};

/// How baselines whose space is too large to evaluate whole (ofa, spos) find their family: pairs
/// on the trained supernet (the `pairs` section), the early predictor's settings (`predictor`)
/// fitted on them, then an evolutionary search with `evolution` in every interval of
/// `sparse_space`'s grid, keeping the best `top_k` (the OFA/CompOFA way: one network per budget).
struct FamilySearchConfig {
  int64_t top_k = 1;
  /// OFA's EvolutionFinder (reference §6.1): population 100, 500 generations, 25 parents, 50
  /// mutants (probability 0.1) and 50 crossover children per generation.
  search::EvolutionConfig evolution = [] {
    search::EvolutionConfig e;
    e.population_size = 100;
    e.num_generations = 500;
    return e;
  }();
};

/// Everything `sparsenas run` needs. JSON keys are the field names; the training sections
/// (`teacher`, `proxy`, `supernet`) are train::TrainConfig objects, `supernet_stage` the extra
/// settings of stage 6, `sparse_space` a search::SparseSpaceConfig, `data` a data::DataConfig.
struct RunConfig {
  std::string method = "sparsenas";  ///< one of method_names()
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
  OfaConfig ofa;                          ///< method "ofa"
  CompofaConfig compofa;                  ///< method "compofa"
  RandomSubspaceConfig random_subspace;   ///< method "random-subspace"
  FamilySearchConfig family_search;       ///< methods "ofa" and "spos"

  /// Every training section of the config, with its JSON path ("teacher", "ofa.kernel", ...).
  std::vector<std::pair<std::string, train::TrainConfig*>> train_sections();

  /// Throws sparsenas::Error naming the field (e.g. "pairs.count"), the expected range and the
  /// actual value. Also validates every nested config.
  void validate() const;
};

nlohmann::json to_json(const RunConfig& config);
/// Strict: unknown keys (at any level) throw listing the valid keys; wrong types throw.
RunConfig run_config_from_json(const nlohmann::json& json);

/// Whether the run's supernets carry OFA's kernel transform matrices: every method but compofa
/// (CompOFA trains with KERNEL_TRANSFORM_MODE=None: smaller kernels are centre crops).
inline bool kernel_transform(const RunConfig& config) { return config.method != "compofa"; }

/// Names of the presets: tiny, quick, standard, paper.
std::vector<std::string> preset_names();
/// The merge patch of a preset over the defaults. Throws for an unknown name, listing them.
nlohmann::json preset_patch(const std::string& name);

/// defaults <- preset <- file <- flags (each an RFC 7386 merge patch; `file` and `flags` may be
/// null), then `threads`, `device` and `seed` copied into every training section, validated.
RunConfig resolve_run_config(const std::string& preset, const nlohmann::json& file,
                             const nlohmann::json& flags);

}  // namespace sparsenas::pipeline
