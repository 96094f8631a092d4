#pragma once
// Typed readers for the run-directory files the report needs and no other library reads:
// `manifest.json`, `predictors.csv`, `predictor/heldout.csv` and the training stages'
// `history.json` (formats in docs/run-directory.md). Every error names the file.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sparsenas::report {

/// One entry of `manifest.json`'s "stages". Absent numeric fields read as 0, absent strings as "".
struct StageRecord {
  std::string name;      ///< teacher, proxy, pairs, predictor, sparse_space, supernet, family, ...
  std::string status;    ///< "done" or "running"
  std::string started;   ///< ISO 8601 UTC
  std::string finished;  ///< ISO 8601 UTC
  double wall_seconds = 0.0;  ///< summed over resumes
  double core_seconds = 0.0;  ///< process CPU time (user + system), summed over resumes
  int64_t subnet_passes = 0;
  int64_t teacher_passes = 0;
  int64_t eval_images = 0;
  int64_t images_seen = 0;
  int64_t epochs = 0;
  int64_t n_sub = 0;
  nlohmann::json metrics = nlohmann::json::object();  ///< stage-specific numbers

  /// metrics[key] as a number, or nullopt when absent or null. Throws sparsenas::Error (naming
  /// the stage and key) when present with another type.
  std::optional<double> metric(const std::string& key) const;
  /// metrics[key] as text (a string as is, a number printed), or nullopt when absent.
  std::optional<std::string> metric_text(const std::string& key) const;
};

/// `manifest.json`.
struct Manifest {
  int64_t version = 0;
  std::string method;
  std::vector<StageRecord> stages;

  /// The stage named `name`, or nullptr.
  const StageRecord* find(const std::string& name) const;
};

/// Parses the manifest JSON; errors name `source`, the stage and the field.
Manifest parse_manifest(const nlohmann::json& json, const std::string& source);
/// Reads `manifest.json`; errors name the file.
Manifest read_manifest(const std::filesystem::path& path);

/// One row of `predictors.csv`. RMSEs and accuracies are fractions. `fit_seconds`, the RMSEs and
/// the rank correlations may be NaN (an empty or "nan" field: not computed / undefined).
struct PredictorScore {
  std::string predictor;
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

/// `predictor/heldout.csv`: the held-out pairs and every predictor's prediction.
struct HeldoutPredictions {
  std::vector<std::string> archs;              ///< the `arch` column (text, not parsed)
  std::vector<double> val_top1;                ///< measured, fractions
  std::vector<std::string> predictors;         ///< the prediction columns, in file order
  std::vector<std::vector<double>> predicted;  ///< [predictor][row], fractions

  size_t size() const { return val_top1.size(); }
};

/// Reads `predictor/heldout.csv` (`arch,val_top1,<predictor>,...`; every column other than
/// `arch` and `val_top1` is a predictor's predictions and must hold numbers).
HeldoutPredictions read_heldout(const std::filesystem::path& path);

/// One epoch of a training stage's `history.json`.
struct HistoryEpoch {
  int64_t epoch = 0;  ///< 0-based
  double train_loss = 0.0;
  double train_top1 = 0.0;  ///< fraction
  double lr = 0.0;
  std::optional<double> val_top1;  ///< mean over the validated networks; absent or null: none
  double seconds = 0.0;
};

/// Reads a `history.json` (a JSON array of epoch objects; unknown keys are ignored). Errors name
/// the file, the array index and the key.
std::vector<HistoryEpoch> read_history(const std::filesystem::path& path);

}  // namespace sparsenas::report
