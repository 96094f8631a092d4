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

#include "sparsenas/core/config_fields.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/predictor/xgboost_model.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/train_config.h"

namespace sparsenas::pipeline {

// Every struct below declares its fields once in `fields()` (JSON key, one-line doc, allowed
// values; core/config_fields.h); its defaults are the member initializers. The sections without a
// `kName` are named in errors by their dotted path from RunConfig ("pairs.count"); the nested
// library configs (TrainConfig, DataConfig, ...) check themselves, prefixed "teacher: ".

/// Stage 3: architecture-accuracy pairs (paper §5.2.1).
struct PairsConfig {
  int64_t count = 1000;
  uint64_t seed = 1;
  int64_t val_images = 0;
  int64_t bn_recal_images = 2000;

  template <class V>
  void fields(V& v) {
    v("count", count, "distinct random sub-networks evaluated (paper: 1,000)").range(2, 1000000);
    v("seed", seed, "seed of the sampled architectures");
    v("val_images", val_images, "validation images per network (0 = the whole split)")
        .min(0)
        .note("0 = all");
    v("bn_recal_images", bn_recal_images, "training images of the BN recalibration (OFA: 2,000)")
        .min(1);
  }
};

/// Stage 4: the early predictor and the comparison predictors (paper §5.2, Table 3).
struct PredictorStageConfig {
  predictor::GbdtConfig early = predictor::GbdtConfig::preset("gbdt");
  /// Any of "random_forest", "xgboost_default", "mlp", "lstm", "gbdt" (checked by
  /// RunConfig::validate); the early predictor is always scored.
  std::vector<std::string> compare = {"random_forest", "xgboost_default", "mlp", "lstm"};
  double heldout_fraction = 0.2;
  uint64_t seed = 0;
  /// What the early predictor fits: "val_top1" (the paper) or "val_loss" (an option beyond it,
  /// issue 12 item 6: the negated mean validation cross-entropy, a finer-grained measurement than
  /// top-1 on the same images). Its ranking is scored against val_top1 either way.
  std::string target = "val_top1";
  nlohmann::json mlp = nlohmann::json::object();
  nlohmann::json lstm = nlohmann::json::object();

  template <class V>
  void fields(V& v) {
    v("early", early, "the early predictor");
    v("compare", compare, "comparison predictors scored on the same held-out pairs");
    v("heldout_fraction", heldout_fraction, "share of the pairs held out for the metrics")
        .range(0, 1, "()");
    v("seed", seed, "seed of the split and of the neural predictors");
    v("target", target, "what the early predictor fits: val_top1 (paper) or val_loss (its negation)")
        .one_of({"val_top1", "val_loss"});
    v("mlp", mlp, "NeuralPredictorConfig overrides of the mlp (a JSON object)");
    v("lstm", lstm, "NeuralPredictorConfig overrides of the lstm (a JSON object)");
  }
};

/// Stage 5 additions to its SparseSpaceConfig.
struct SparseSpaceStageConfig {
  /// > 0: split the range into this many equal intervals (the interval width is derived from the
  /// range); 0: use sparse_space.interval (0 there = the paper's 1M MACs scaled to the space).
  int64_t num_intervals = 0;

  template <class V>
  void fields(V& v) {
    v("num_intervals", num_intervals, "equal MACs intervals (0 = sparse_space.interval)")
        .range(0, 1000000)
        .note("0 = from sparse_space.interval");
  }
};

/// Stage 1 additions to its TrainConfig: a teacher trained elsewhere, reused instead of training
/// one (issue 12: one teacher for every method of a comparison).
struct TeacherStageConfig {
  /// Empty: train the teacher with the `teacher` section. Otherwise a finished `sparsenas run`
  /// directory (its teacher.pt), a `sparsenas train` directory (its checkpoint.pt) or a checkpoint
  /// file; relative to the working directory. The teacher stage then copies it to teacher.pt
  /// without training, and its content hash (not the path) decides whether downstream stages rerun.
  /// It must be the largest network of this run's space (same space, resolution, channels, classes
  /// and width multiplier), trained to its last epoch (pipeline/teacher_source.h).
  std::string from;

  template <class V>
  void fields(V& v) {
    v("from", from, "reuse this trained teacher (run directory, `sparsenas train` directory or checkpoint) "
                    "instead of training one (empty = train it)");
  }
};

/// Stage 6 additions to its TrainConfig.
struct SupernetStageConfig {
  std::string init = "teacher";
  int64_t val_networks = 3;
  /// Re-sort the middle channels by importance after loading the start weights, as OFA's expand
  /// phases and CompOFA do (re_organize_middle_weights, a full sort). The paper says its other
  /// hyperparameters follow CompOFA, and CompOFA re-sorts after loading the teacher: true in every
  /// preset (measured +0.3 points at `quick`, BENCHMARKS.md); false is the ablation.
  bool resort_channels = true;

  template <class V>
  void fields(V& v) {
    v("init", init, "start weights: teacher (paper) or proxy (Fig. 11 ablation)")
        .one_of({"teacher", "proxy"});
    v("val_networks", val_networks, "sparse-space networks validated after each epoch").min(0);
    v("resort_channels", resort_channels, "re-sort the middle channels by importance first");
  }
};

/// Stage 7: the family (paper §5.7, §5.8).
struct FamilyConfig {
  int64_t val_images = 0;
  int64_t test_images = 0;
  int64_t bn_recal_images = 2000;
  int64_t latency_warmup = 5;
  int64_t latency_repeats = 30;

  template <class V>
  void fields(V& v) {
    v("val_images", val_images, "validation images per network (0 = all)").min(0).note("0 = all");
    v("test_images", test_images, "test images per network (0 = all)").min(0).note("0 = all");
    v("bn_recal_images", bn_recal_images, "training images of the BN recalibration").min(1);
    v("latency_warmup", latency_warmup, "untimed batch-1 forwards before timing").min(0);
    v("latency_repeats", latency_repeats,
      "timed batch-1 forwards; the median is reported (0 = skip)")
        .range(0, 100000)
        .note("0 = no latency");
  }
};

/// The methods `sparsenas run --method` runs (issue 4): "sparsenas" and the baselines.
const std::vector<std::string>& method_names();

/// A training phase that distils from the teacher, with OFA's learning rates (given at batch
/// 2048) scaled to our batch 128 by the caller, and a warm-up from OFA's default warmup_lr, the
/// per-GPU base rate (lr / `gpus`).
train::TrainConfig distill_phase(int64_t epochs, int64_t warmup_epochs, double lr, int64_t n_sub,
                                 double gpus);

/// OFA progressive shrinking (reference ofa_compofa.md §3.1, paper Table 4): five phases after
/// the teacher, each started from the previous one's weights (the kernel phase from the teacher).
/// Every phase distils from the teacher. Expand phases re-sort the channels first. Learning rates:
/// OFA's at batch 2048 (kernel 0.96, warm-up phases 0.08, long phases 0.24) times 128 / 2048.
struct OfaConfig {
  train::TrainConfig kernel = distill_phase(125, 5, 0.96 * 128 / 2048, 1, 32);
  train::TrainConfig depth_warmup = distill_phase(25, 0, 0.08 * 128 / 2048, 2, 32);
  train::TrainConfig depth = distill_phase(125, 5, 0.24 * 128 / 2048, 2, 32);
  train::TrainConfig expand_warmup = distill_phase(25, 0, 0.08 * 128 / 2048, 4, 32);
  train::TrainConfig expand = distill_phase(125, 5, 0.24 * 128 / 2048, 4, 32);

  template <class V>
  void fields(V& v) {
    v("kernel", kernel, "ks {3,5,7}, e max, d max; n_sub 1; 125 epochs (5 warm-up)");
    v("depth_warmup", depth_warmup, "depth phase 1: d the two largest; n_sub 2; 25 epochs");
    v("depth", depth, "depth phase 2: every d; n_sub 2; 125 epochs (5 warm-up)");
    v("expand_warmup", expand_warmup, "expand phase 1: e the two largest; n_sub 4; 25 epochs");
    v("expand", expand, "expand phase 2: every e; n_sub 4; 125 epochs (5 warm-up)");
  }
};

/// CompOFA (reference §7.2): the 243 coupled networks of the run space's coupling (`compofa` for
/// `ofa-mbv3`, `compofa-s1` for `ofa-mbv3-s1`: space::compofa_space_of), trained from the
/// teacher in two phases with full channel re-sorting first, n_sub 4, no kernel transform.
/// Learning rates 0.08 and 0.24 at batch 2048 on 8 GPUs, scaled to batch 128.
struct CompofaConfig {
  train::TrainConfig warmup = distill_phase(25, 0, 0.08 * 128 / 2048, 4, 8);
  train::TrainConfig train = distill_phase(125, 5, 0.24 * 128 / 2048, 4, 8);

  template <class V>
  void fields(V& v) {
    v("warmup", warmup, "phase 1: 25 epochs");
    v("train", train, "phase 2: 125 epochs (5 warm-up)");
  }
};

/// The random sub-space of paper §3.3 / Fig. 3: uniform sampling over N random networks, trained
/// as the sparse supernet (the `supernet` section), evaluated whole as the family.
struct RandomSubspaceConfig {
  int64_t networks = 2000;
  uint64_t seed = 2;

  template <class V>
  void fields(V& v) {
    v("networks", networks, "N (paper: 2,000)").range(1, 1000000);
    v("seed", seed, "seed of the sampled networks");
  }
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

  template <class V>
  void fields(V& v) {
    v("top_k", top_k, "networks kept per interval").range(1, 1000);
    v("evolution", evolution, "the search in each interval (OFA's EvolutionFinder)");
  }
};

/// Method "ofa-import": a supernet trained by Once-for-All's own code, imported by
/// `sparsenas import-ofa` (pipeline/ofa_import.h), then searched the OFA way (pairs, predictor,
/// family search, family).
struct ImportOfaConfig {
  std::string checkpoint;       ///< absolute path of OFA's checkpoint, as import-ofa found it
  std::string checkpoint_hash;  ///< hash_file of it at import: what the import stage hashes

  template <class V>
  void fields(V& v) {
    v("checkpoint", checkpoint, "OFA's checkpoint (a torch.save file), set by sparsenas import-ofa");
    v("checkpoint_hash", checkpoint_hash, "the checkpoint's content hash, set by sparsenas import-ofa");
  }
};

/// Everything `sparsenas run` needs. JSON keys are the field names; the training sections
/// (`teacher`, `proxy`, `supernet`) are train::TrainConfig objects, `supernet_stage` the extra
/// settings of stage 6, `sparse_space` a search::SparseSpaceConfig, `data` a data::DataConfig.
///
/// `RunConfig{}` holds the paper's settings (§5.1.4, Table 4, §5.2, §5.3): the one place for the
/// defaults; presets are merge patches over them.
struct RunConfig {
  std::string method = "sparsenas";
  std::string preset = "paper";
  std::string space = "ofa-mbv3";
  double width_mult = 1.0;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  data::DataConfig data;
  /// Stage 1, CompOFA `--task teacher`: 180 epochs, lr 2.6 at batch 2048 = 0.1625 at batch 128.
  train::TrainConfig teacher = [] {
    train::TrainConfig t;
    t.epochs = 180;
    t.lr = 0.1625;
    return t;
  }();
  TeacherStageConfig teacher_stage;
  /// Stage 2: 30 epochs, lr 0.1, batch 128, two uniformly sampled networks per batch.
  train::TrainConfig proxy = [] {
    train::TrainConfig t;
    t.epochs = 30;
    t.lr = 0.1;
    t.n_sub = 2;
    return t;
  }();
  PairsConfig pairs;
  PredictorStageConfig predictor;
  search::SparseSpaceConfig sparse_space;
  SparseSpaceStageConfig sparse_space_stage;
  /// Stage 6 (Table 4): 150 epochs, n_sub 3, KD from the teacher, no warm-up; "step2_cosine":
  /// 0.008 for 5 epochs, then cosine from 0.08 (the paper's "initial learning rate ... 0.08", with
  /// CompOFA's cosine schedule, which it says it follows); "step2" is the literal constant. The
  /// paper trains on 5 GPUs with "a batch size 128"; we read 128 as the batch per step.
  train::TrainConfig supernet = [] {
    train::TrainConfig t;
    t.epochs = 150;
    t.lr_schedule = "step2_cosine";
    t.step_epochs = 5;
    t.step_lr = 0.008;
    t.lr = 0.08;
    t.n_sub = 3;
    t.kd_ratio = 1.0;
    t.warmup_epochs = 0;
    return t;
  }();
  SupernetStageConfig supernet_stage;
  FamilyConfig family;
  OfaConfig ofa;
  CompofaConfig compofa;
  RandomSubspaceConfig random_subspace;
  FamilySearchConfig family_search;
  ImportOfaConfig import_ofa;

  template <class V>
  void fields(V& v) {
    v("method", method, "method to run").one_of(method_names(), config_fields::ChoiceWording::kList);
    v("preset", preset, "the preset this config was built from (informational)");
    v("space", space, "search space name or JSON file")
        .check([](const std::string& s) { return !s.empty(); }, "name a search space or a JSON file");
    v("width_mult", width_mult, "width multiplier of the space").range(0, 4, "(]");
    v("seed", seed, "seed of every training stage (data order, sampling)");
    v("threads", threads, "intra-op threads of every stage (0 = all cores)")
        .range(0, 1024)
        .note("0 = all cores");
    v("device", device, "\"cpu\", \"cuda\" or \"cuda:N\" for every stage");
    v("data", data, "the dataset and its splits");
    v("teacher", teacher, "stage 1: the largest network alone");
    v("teacher_stage", teacher_stage, "stage 1 extras");
    v("proxy", proxy, "stage 2: uniform sampling over the whole space");
    v("pairs", pairs, "stage 3: architecture-accuracy pairs");
    v("predictor", predictor, "stage 4: the early predictor and the comparison predictors");
    v("sparse_space", sparse_space, "stage 5: the sparse space");
    v("sparse_space_stage", sparse_space_stage, "stage 5 extras");
    v("supernet", supernet, "stage 6: the sparse supernet");
    v("supernet_stage", supernet_stage, "stage 6 extras");
    v("family", family, "stage 7: the family");
    v("ofa", ofa, "method \"ofa\": progressive shrinking");
    v("compofa", compofa, "method \"compofa\"");
    v("random_subspace", random_subspace, "method \"random-subspace\"");
    v("family_search", family_search, "methods \"ofa\", \"spos\" and \"ofa-import\": the family's search");
    v("import_ofa", import_ofa, "method \"ofa-import\": the imported Once-for-All checkpoint");
  }

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

/// Names of the presets: tiny, quick, standard, paper, glyphs-quick, glyphs-standard.
std::vector<std::string> preset_names();
/// The merge patch of a preset over the defaults. Throws for an unknown name, listing them.
nlohmann::json preset_patch(const std::string& name);

/// defaults <- preset <- file <- flags (each an RFC 7386 merge patch; `file` and `flags` may be
/// null), then `threads`, `device` and `seed` copied into every training section, validated.
RunConfig resolve_run_config(const std::string& preset, const nlohmann::json& file,
                             const nlohmann::json& flags);

}  // namespace sparsenas::pipeline
