#pragma once
// The neural comparison accuracy predictors of the paper's Table 3 (section 5.2): OFA/CompOFA's
// MLP over the one-hot encoding and a GreedyNASv2-style LSTM over the block slots. LibTorch does
// the work, but this header does not include it (pimpl), so including it stays cheap.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/predictor/predictor.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::nnpredictor {

/// Training settings of a neural accuracy predictor. Plain data; `validate()` checks it; `to_json`
/// / `from_json` are its only serialisation.
///
/// Training: Adam (`lr`, `weight_decay` as Adam's L2 term) on the mean squared error of
/// standardised targets (accuracy minus the training mean, divided by the training standard
/// deviation; a standard deviation of 0 counts as 1), `epochs` passes over the training pairs in
/// mini-batches of `batch_size`, reshuffled every epoch. Predictions are mapped back to the
/// accuracy unit. No learning-rate schedule, no early stopping, no validation split.
///
/// The struct's defaults are the MLP's (`for_mlp()`); `for_lstm()` differs in `hidden`, `lr`,
/// `batch_size` and `epochs`:
///
/// | field        | for_mlp() (default) | for_lstm() |
/// |--------------|---------------------|------------|
/// | epochs       | 50                  | 30         |
/// | batch_size   | 64                  | 32         |
/// | lr           | 1e-3                | 3e-3       |
/// | weight_decay | 1e-4                | 1e-4       |
/// | hidden       | 400 (OFA)           | 100        |
/// | seed         | 0                   | 0          |
/// | threads      | 0 (keep LibTorch's) | 0          |
///
/// Why: on 400 synthetic ofa-mbv3 pairs (tests/nnpredictor) the MLP's held-out Kendall tau
/// stopped improving after 20-50 epochs (its training loss is then near 0); the LSTM at lr 1e-3
/// and batch 64 was still underfitting after 30 epochs (tau 0.76 against 0.89 with these
/// settings), and an LSTM epoch costs about 3 MLP epochs on CPU. Adam with lr 1e-3 and weight
/// decay 1e-4 is the OFA author's recipe for its predictor (reference/ofa_compofa.md section 5;
/// he used batches of 500-1000 on 1K-4K pairs; with 800 pairs that is 1-2 steps per epoch, so we
/// use smaller batches). GreedyNASv2 publishes no LSTM schedule; the LSTM's is ours.
///
/// Threads: 2 LibTorch threads on a 2-core machine shared with another busy process can be 20-40
/// times slower than 1 thread, because libgomp spin-waits (build-notes P8); run such processes with
/// `OMP_WAIT_POLICY=PASSIVE` (read when the process starts, so a library cannot set it).
///
/// Determinism: `fit` seeds LibTorch's global generator with `seed` (weight initialisation) and
/// shuffles with its own engine seeded with `seed`, so the same data, config and thread count give
/// the same predictions in one build. Other thread counts may reorder float sums.
///
/// Example (JSON; absent keys keep their value):
/// ```
/// {"epochs": 200, "threads": 2}
/// ```
struct NeuralPredictorConfig {
  static constexpr const char* kName = "NeuralPredictorConfig";  ///< prefix of field names in errors

  int64_t epochs = 50;
  int64_t batch_size = 64;
  double lr = 1e-3;
  double weight_decay = 1e-4;
  int64_t hidden = 400;
  uint64_t seed = 0;
  /// torch::set_num_threads during fit and predict; the previous count is restored afterwards.
  int64_t threads = 0;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h).
  template <class V>
  void fields(V& v) {
    v("epochs", epochs, "passes over the training pairs").range(1, 1000000);
    v("batch_size", batch_size, "pairs per Adam step (the last batch of an epoch may be smaller)")
        .range(1, 1000000);
    v("lr", lr, "Adam learning rate")
        .check([](double x) { return std::isfinite(x) && x > 0; }, "be a finite number > 0");
    v("weight_decay", weight_decay, "Adam L2 penalty (added to the gradient, as torch.optim.Adam)")
        .check([](double x) { return std::isfinite(x) && x >= 0; }, "be a finite number >= 0");
    v("hidden", hidden, "MLP: width of each of the 3 hidden layers; LSTM: hidden size")
        .range(1, 100000);
    v("seed", seed, "weight initialisation and shuffling");
    v("threads", threads, "LibTorch intra-op threads during fit and predict (0 = keep LibTorch's)")
        .range(0, 4096)
        .note("0 = keep LibTorch's");
  }

  /// The MLP's settings (the struct's defaults: hidden 400, as OFA's AccuracyPredictor).
  static NeuralPredictorConfig for_mlp();
  /// The LSTM's settings (hidden 100, lr 3e-3, batch 32, 30 epochs).
  static NeuralPredictorConfig for_lstm();

  /// Throws sparsenas::Error naming the field, the expected range and the actual value.
  void validate() const;
};

/// Writes every field.
void to_json(nlohmann::json& json, const NeuralPredictorConfig& config);
/// Reads a JSON object; absent keys keep their values. Unknown keys and wrongly typed values
/// (e.g. 2.5 for an integer) throw sparsenas::Error listing the valid keys. Does not call
/// validate().
void from_json(const nlohmann::json& json, NeuralPredictorConfig& config);

/// What is common to both neural predictors: training, prediction, save/load. Use the concrete
/// classes below to build one.
///
/// Accuracies and predictions are in the caller's unit (as `predictor::AccuracyPredictor`).
/// Architectures must be members of the space; inactive slots do not change a prediction (their
/// encoding is all zero). Not thread-safe: one object from one thread at a time (and `threads`
/// changes a process-wide LibTorch setting while fit/predict run). Move-only.
class NeuralAccuracyPredictor : public predictor::AccuracyPredictor {
 public:
  ~NeuralAccuracyPredictor() override;
  NeuralAccuracyPredictor(NeuralAccuracyPredictor&&) noexcept;
  NeuralAccuracyPredictor& operator=(NeuralAccuracyPredictor&&) noexcept;

  /// Builds a fresh network (initialised from `config.seed`) and trains it on the pairs. Throws
  /// sparsenas::Error when the sizes differ, the data are empty, an accuracy is not finite or an
  /// arch is not in the space; the predictor is then left unfitted.
  void fit(const std::vector<space::Arch>& archs, const std::vector<double>& accuracies) override;
  /// One forward pass over all `archs` (no gradients). Throws when not fitted or an arch is not in
  /// the space. An empty list gives an empty result.
  std::vector<double> predict(const std::vector<space::Arch>& archs) const override;
  /// "mlp" or "lstm".
  std::string name() const override;

  const space::SearchSpace& search_space() const;
  const NeuralPredictorConfig& config() const;
  bool fitted() const;
  /// Trainable parameters of the network (0 before fit or load).
  int64_t num_parameters() const;
  /// Mean squared error on the standardised training targets over the last epoch (NaN before fit;
  /// after load, the value saved).
  double final_train_loss() const;

  /// Writes the network's parameters to `path` (torch::serialize archive) and a JSON sidecar
  /// `path` + ".json" (kind, space name, feature dimension, config, target mean and standard
  /// deviation, final training loss), both atomically. Throws when not fitted.
  void save(const std::filesystem::path& path) const;

 protected:
  enum class Kind { kMlp, kLstm };
  NeuralAccuracyPredictor(Kind kind, space::SearchSpace space, NeuralPredictorConfig config);
  /// Reads what `save` wrote into a predictor of `kind` for `space`. Throws when the sidecar is of
  /// another kind or another encoding (feature dimension, slots) than `space`.
  static NeuralAccuracyPredictor load_as(Kind kind, const std::filesystem::path& path,
                                         space::SearchSpace space);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The OFA / CompOFA accuracy predictor: a feed-forward network over the one-hot encoding of
/// `predictor/features.h` (feature_dim inputs, 120 for ofa-mbv3):
///
///   Linear(feature_dim, h) - ReLU - Linear(h, h) - ReLU - Linear(h, h) - ReLU - Linear(h, 1)
///
/// with h = `config.hidden` (OFA: hidden_size 400, n_layers 3), every layer with a bias, as OFA's
/// tutorial predictor (its library predictor drops the last bias and adds a fixed base accuracy,
/// the mean training accuracy; here the target standardisation plays that role).
///
/// Example:
/// ```
/// const auto space = space::SearchSpace::from_name("ofa-mbv3");
/// MlpAccuracyPredictor mlp(space);
/// mlp.fit(train_archs, train_accuracies);
/// std::vector<double> acc = mlp.predict(candidates);
/// ```
class MlpAccuracyPredictor final : public NeuralAccuracyPredictor {
 public:
  /// Keeps a copy of `space`. Validates `config`.
  explicit MlpAccuracyPredictor(space::SearchSpace space,
                                NeuralPredictorConfig config = NeuralPredictorConfig::for_mlp());
  /// Loads what `save` wrote for an MLP of `space`.
  static MlpAccuracyPredictor load(const std::filesystem::path& path, space::SearchSpace space);

 private:
  explicit MlpAccuracyPredictor(NeuralAccuracyPredictor&& loaded);
};

/// A GreedyNASv2-style sequence predictor: one token per block slot (`space.num_slots()` tokens,
/// 20 for ofa-mbv3), token i = [kernel one-hot of slot i | expand one-hot of slot i], i.e. the
/// numbers of `predictor::encode` regrouped per slot (all zero for inactive slots). When stages
/// have different numbers of choices, each one-hot is zero-padded to the largest count (ofa-mbv3:
/// 3 + 3 = 6 values per token). A 1-layer LSTM of hidden size `config.hidden` reads the tokens in
/// slot order; its final hidden state goes through Linear(hidden, 1).
///
/// Tokens carry no slot index: the LSTM must infer a token's slot (and stage) from its place in
/// the sequence. Effects shared by the slots of a stage are learnt well from 400 pairs (held-out
/// Kendall tau ~0.89 in tests/nnpredictor); independent per-slot effects are not (tau 0.54-0.63 in
/// our runs, where the MLP reaches ~0.88).
///
/// Example:
/// ```
/// LstmAccuracyPredictor lstm(space);  // NeuralPredictorConfig::for_lstm()
/// lstm.fit(train_archs, train_accuracies);
/// ```
class LstmAccuracyPredictor final : public NeuralAccuracyPredictor {
 public:
  /// Keeps a copy of `space`. Validates `config`.
  explicit LstmAccuracyPredictor(space::SearchSpace space,
                                 NeuralPredictorConfig config = NeuralPredictorConfig::for_lstm());
  /// Loads what `save` wrote for an LSTM of `space`.
  static LstmAccuracyPredictor load(const std::filesystem::path& path, space::SearchSpace space);

  /// The token sequences of `archs`: archs.size() * num_slots * token_width floats, row-major
  /// (arch, slot, value). Throws when an arch is not in the space.
  static std::vector<float> encode_tokens(const space::SearchSpace& space,
                                          const std::vector<space::Arch>& archs);
  /// Values per token: max kernel choices + max expand choices over the slots (6 for ofa-mbv3).
  static int token_width(const space::SearchSpace& space);

 private:
  explicit LstmAccuracyPredictor(NeuralAccuracyPredictor&& loaded);
};

}  // namespace sparsenas::nnpredictor
