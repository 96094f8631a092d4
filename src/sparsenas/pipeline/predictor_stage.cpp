#include "sparsenas/pipeline/predictor_stage.h"

#include <chrono>
#include <memory>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/nnpredictor/neural_predictor.h"
#include "sparsenas/predictor/metrics.h"

namespace sparsenas::pipeline {

namespace {

PredictorScore score(const std::string& name, predictor::AccuracyPredictor& model,
                     const predictor::PairsDataset& train, const predictor::PairsDataset& heldout) {
  PredictorScore s;
  s.predictor = name;
  s.n_train = static_cast<int64_t>(train.size());
  s.n_heldout = static_cast<int64_t>(heldout.size());
  const auto start = std::chrono::steady_clock::now();
  model.fit(train.archs(), train.accuracies());
  s.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.predictions = model.predict(heldout.archs());
  const std::vector<double> actual = heldout.accuracies();
  s.rmse = predictor::rmse(s.predictions, actual);
  s.rmse_shifted = predictor::rmse_mean_shifted(s.predictions, actual);
  s.kendall_tau = predictor::kendall_tau(s.predictions, actual);
  s.spearman_rho = predictor::spearman_rho(s.predictions, actual);
  return s;
}

}  // namespace

PredictorStageResult run_predictor_comparison(const space::SearchSpace& space,
                                              const predictor::PairsDataset& pairs,
                                              const PredictorStageConfig& config, int threads) {
  SNAS_CHECK(pairs.size() >= 4, "the predictor stage needs at least 4 pairs, got ", pairs.size());
  auto [train, heldout] = pairs.split(config.heldout_fraction, config.seed);
  SNAS_CHECK(train.size() >= 2 && heldout.size() >= 2, "predictor.heldout_fraction ", config.heldout_fraction,
             " leaves ", train.size(), " training and ", heldout.size(),
             " held-out pairs; both need at least 2 (more pairs or another fraction)");
  predictor::GbdtConfig early_config = config.early;
  early_config.nthread = threads;
  PredictorStageResult result{predictor::XgbAccuracyPredictor(space, early_config), heldout, {}};
  result.scores.push_back(score("gbdt", result.early, train, heldout));
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
  result.early.fit(pairs.archs(), pairs.accuracies());
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
