#pragma once
// Stage 4: the early predictor (GBDT, paper §5.2) and the comparison predictors of Table 3, each
// fit on the same training part of the pairs and scored on the same held-out part.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/predictor/predictor.h"
#include "sparsenas/rundir/predictor_tables.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::pipeline {

/// One predictor's row of `predictors.csv` and its column of `predictor/heldout.csv`.
struct PredictorScore : rundir::PredictorScore {
  std::vector<double> predictions;  ///< on the held-out pairs, in order
};

struct PredictorStageResult {
  /// The GBDT early predictor that builds the sparse space: refit on ALL pairs after its held-out
  /// scoring (the held-out metrics in `scores` come from the fit on the training part; the refit
  /// has nothing left to be scored on). With the paper's 1,000 pairs it sees 1,000, not 800.
  predictor::XgbAccuracyPredictor early;
  predictor::PairsDataset heldout;
  std::vector<PredictorScore> scores;     ///< the early predictor first, then `config.compare`
  int64_t early_fit_pairs = 0;            ///< pairs the returned `early` was fit on (all of them)
};

/// The group of a network of `macs` MACs for a ranking objective (the pipeline: its MACs interval).
using MacsGroupFn = std::function<int64_t(int64_t macs)>;

/// Splits `pairs` (config.heldout_fraction, config.seed), fits the early predictor and every
/// predictor of config.compare with `threads` threads, and scores them on the held-out part; then
/// refits the early predictor on all pairs (same settings) for the sparse-space search.
///
/// The early predictor fits config.target (val_top1, or the negated val_loss), by regression or,
/// with objective "rank:pairwise", as a ranking within the groups `group_of` gives (required
/// then). Every predictor's Kendall tau and Spearman rho are against the held-out val_top1, so the
/// options compare on the ranking that matters; the RMSEs of an early predictor that does not
/// regress val_top1 are NaN (its predictions are not accuracies).
PredictorStageResult run_predictor_comparison(const space::SearchSpace& space,
                                              const predictor::PairsDataset& pairs,
                                              const PredictorStageConfig& config, int threads,
                                              const MacsGroupFn& group_of = {});

/// Writes `predictors.csv` and `predictor/heldout.csv` atomically.
void write_predictor_tables(const PredictorStageResult& result, const std::filesystem::path& scores_csv,
                            const std::filesystem::path& heldout_csv);

}  // namespace sparsenas::pipeline
