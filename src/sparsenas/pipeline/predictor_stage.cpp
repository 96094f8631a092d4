#include "sparsenas/pipeline/predictor_stage.h"

#include <chrono>
#include <limits>
#include <memory>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/nnpredictor/neural_predictor.h"
#include "sparsenas/predictor/metrics.h"

namespace sparsenas::pipeline {

namespace {

// `fit` trains `model` on the training part; `predicts_accuracy`: its predictions are top-1
// fractions, so the RMSEs mean something.
PredictorScore score(const std::string& name, predictor::AccuracyPredictor& model, const std::function<void()>& fit,
                     bool predicts_accuracy, const predictor::PairsDataset& train,
                     const predictor::PairsDataset& heldout) {
  PredictorScore s;
  s.predictor = name;
  s.n_train = static_cast<int64_t>(train.size());
  s.n_heldout = static_cast<int64_t>(heldout.size());
  const auto start = std::chrono::steady_clock::now();
  fit();
  s.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.predictions = model.predict(heldout.archs());
  const std::vector<double> actual = heldout.accuracies();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.rmse = predicts_accuracy ? predictor::rmse(s.predictions, actual) : nan;
  s.rmse_shifted = predicts_accuracy ? predictor::rmse_mean_shifted(s.predictions, actual) : nan;
  s.kendall_tau = predictor::kendall_tau(s.predictions, actual);
  s.spearman_rho = predictor::spearman_rho(s.predictions, actual);
  return s;
}

PredictorScore score(const std::string& name, predictor::AccuracyPredictor& model,
                     const predictor::PairsDataset& train, const predictor::PairsDataset& heldout) {
  return score(name, model, [&] { model.fit(train.archs(), train.accuracies()); }, true, train, heldout);
}

// The early predictor's fit on `pairs`: config.target by config.early.objective.
void fit_early(predictor::XgbAccuracyPredictor& early, const predictor::PairsDataset& pairs,
               const PredictorStageConfig& config, const MacsGroupFn& group_of) {
  std::vector<double> target = pairs.accuracies();
  if (config.target == "val_loss") {
    target = pairs.losses();
    for (double& v : target) v = -v;  // higher is better, as for accuracy
  }
  if (config.early.objective != "rank:pairwise") {
    early.fit(pairs.archs(), target);
    return;
  }
  SNAS_CHECK(static_cast<bool>(group_of), "predictor.early.objective \"rank:pairwise\" needs the MACs grid");
  std::vector<int64_t> group;
  for (const auto& p : pairs.pairs) group.push_back(group_of(p.macs));
  early.fit_grouped(pairs.archs(), target, group);
}

}  // namespace

PredictorStageResult run_predictor_comparison(const space::SearchSpace& space,
                                              const predictor::PairsDataset& pairs,
                                              const PredictorStageConfig& config, int threads,
                                              const MacsGroupFn& group_of) {
  SNAS_CHECK(pairs.size() >= 4, "the predictor stage needs at least 4 pairs, got ", pairs.size());
  auto [train, heldout] = pairs.split(config.heldout_fraction, config.seed);
  SNAS_CHECK(train.size() >= 2 && heldout.size() >= 2, "predictor.heldout_fraction ", config.heldout_fraction,
             " leaves ", train.size(), " training and ", heldout.size(),
             " held-out pairs; both need at least 2 (more pairs or another fraction)");
  predictor::GbdtConfig early_config = config.early;
  early_config.nthread = threads;
  PredictorStageResult result{predictor::XgbAccuracyPredictor(space, early_config), heldout, {}};
  const bool early_is_accuracy = config.target == "val_top1" && config.early.objective == "reg:squarederror";
  result.scores.push_back(score(
      "gbdt", result.early, [&] { fit_early(result.early, train, config, group_of); }, early_is_accuracy, train,
      heldout));
  for (const std::string& kind : config.compare) {
    if (kind == "gbdt") continue;  // always scored first
    std::unique_ptr<predictor::AccuracyPredictor> model;
    if (kind == "mlp" || kind == "lstm") {
      nnpredictor::NeuralPredictorConfig nc =
          kind == "mlp" ? nnpredictor::NeuralPredictorConfig::for_mlp() : nnpredictor::NeuralPredictorConfig::for_lstm();
      nnpredictor::from_json(kind == "mlp" ? config.mlp : config.lstm, nc);
      nc.seed = config.seed;
      nc.threads = threads;
      if (kind == "mlp") {
        model = std::make_unique<nnpredictor::MlpAccuracyPredictor>(space, nc);
      } else {
        model = std::make_unique<nnpredictor::LstmAccuracyPredictor>(space, nc);
      }
    } else {
      predictor::GbdtConfig gc = predictor::GbdtConfig::preset(kind);
      gc.nthread = threads;
      model = std::make_unique<predictor::XgbAccuracyPredictor>(space, gc);
    }
    result.scores.push_back(score(kind, *model, train, heldout));
  }
  fit_early(result.early, pairs, config, group_of);
  result.early_fit_pairs = static_cast<int64_t>(pairs.size());
  return result;
}

void write_predictor_tables(const PredictorStageResult& result, const std::filesystem::path& scores_csv,
                            const std::filesystem::path& heldout_csv) {
  rundir::write_predictor_scores(scores_csv, {result.scores.begin(), result.scores.end()});
  rundir::HeldoutPredictions heldout;
  for (const auto& p : result.heldout.pairs) {
    heldout.archs.push_back(p.arch.to_string());
    heldout.val_top1.push_back(p.val_top1);
  }
  for (const auto& s : result.scores) {
    heldout.predictors.push_back(s.predictor);
    heldout.predicted.push_back(s.predictions);
  }
  rundir::write_heldout(heldout_csv, heldout);
}

}  // namespace sparsenas::pipeline
