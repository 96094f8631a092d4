#pragma once
// The predictor stage's tables (paper Table 3): `predictors.csv`, one row per predictor, and
// `predictor/heldout.csv`, the held-out pairs with every predictor's prediction. Readers and
// writers in one place; formats in docs/run-directory.md.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::rundir {

/// One row of `predictors.csv`. RMSEs and accuracies are fractions. `fit_seconds`, the RMSEs and
/// the rank correlations may be NaN (written "nan": not computed or undefined).
struct PredictorScore {
  std::string predictor;  ///< gbdt, random_forest, xgboost_default, mlp, lstm
  int64_t n_train = 0;
  int64_t n_heldout = 0;
  double fit_seconds = 0.0;
  double rmse = 0.0;          ///< raw RMSE
  double rmse_shifted = 0.0;  ///< RMSE after the paper's mean shift (predictor/metrics.h)
  double kendall_tau = 0.0;
  double spearman_rho = 0.0;
};

/// Reads `predictors.csv` (header `predictor,n_train,n_heldout,fit_seconds,rmse,rmse_shifted,
/// kendall_tau,spearman_rho`; the columns may come in any order, others are ignored).
std::vector<PredictorScore> read_predictor_scores(const std::filesystem::path& path);
/// Writes `predictors.csv` atomically (10 significant digits).
void write_predictor_scores(const std::filesystem::path& path, const std::vector<PredictorScore>& scores);

/// `predictor/heldout.csv`: the held-out pairs and every predictor's prediction.
struct HeldoutPredictions {
  std::vector<std::string> archs;              ///< the `arch` column (architecture JSON text)
  std::vector<double> val_top1;                ///< measured, fractions
  std::vector<std::string> predictors;         ///< the prediction columns, in file order
  std::vector<std::vector<double>> predicted;  ///< [predictor][row], fractions

  size_t size() const { return val_top1.size(); }
};

/// Reads `predictor/heldout.csv` (`arch,val_top1,<predictor>,...`; every column other than
/// `arch` and `val_top1` is a predictor's predictions and must hold numbers).
HeldoutPredictions read_heldout(const std::filesystem::path& path);
/// Writes `predictor/heldout.csv` atomically (10 significant digits). Every `predicted` column
/// must have a value per row.
void write_heldout(const std::filesystem::path& path, const HeldoutPredictions& heldout);

}  // namespace sparsenas::rundir
