#pragma once
// What write_report reads from a run directory (internal to the report library): every input
// file, each optional, read through the rundir library (docs/run-directory.md).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sparsenas/predictor/measurement_noise.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::report::detail {

/// The training stages of a sparsenas run, in order: the histories read when `manifest.json`
/// names no stage with epochs, and stages that count as training in the cost table.
inline constexpr const char* kTrainingStages[] = {"teacher", "proxy", "supernet"};

/// The inputs of report.md; each is empty when its file is missing.
struct Inputs {
  std::optional<nlohmann::json> config;                           ///< config.json (an object)
  std::optional<rundir::Manifest> manifest;                       ///< manifest.json
  std::optional<std::vector<rundir::PredictorScore>> predictors;  ///< predictors.csv
  std::optional<rundir::HeldoutPredictions> heldout;              ///< predictor/heldout.csv
  std::optional<predictor::PairsDataset> pairs;                   ///< pairs.csv
  std::optional<predictor::MeasurementNoise> pairs_noise;         ///< pairs_noise.json
  std::optional<search::SparseSpace> sparse;                      ///< sparse_space.json
  std::optional<search::FamilyTable> family;                      ///< family.csv
  /// Per device measured by `sparsenas latency` (latency/<device>.csv, sorted by name): the family
  /// with that device's median latency (rundir::family_on_device).
  std::vector<std::pair<std::string, search::FamilyTable>> devices;
  /// `<stage>/history.json` of each training stage found: stage, epochs.
  std::vector<std::pair<std::string, std::vector<rundir::HistoryEpoch>>> histories;
  std::optional<space::SearchSpace> space;  ///< the run's space, when it can be told (find_space)
};

/// Reads every input of `run_dir`. A missing file adds a warning to `warnings` ("<file> not
/// found: <what> not available"); a file that exists but cannot be parsed throws
/// sparsenas::Error naming the file. Histories: of every manifest stage with epochs > 0, else of
/// kTrainingStages.
Inputs load_inputs(const std::filesystem::path& run_dir, std::vector<std::string>& warnings);

/// The first of `candidates` (each a chain of object keys into `config`) that names a string, or
/// an object with a string "name" or "source"; nullopt when none does or there is no config.
std::optional<std::string> config_text(const std::optional<nlohmann::json>& config,
                                       const std::vector<std::vector<std::string>>& candidates);

/// The run's search space: the one stored in sparse_space.json, else the one config.json gives
/// (inline, or by name with its resolution, in_channels and num_classes); nullopt when neither
/// can be built.
std::optional<space::SearchSpace> find_space(const Inputs& in);

/// The early predictor's score (sparse_space.json) and the measured val_top1 (family.csv) of
/// the networks in both, in family.csv's order, with the index of each one's MACs interval in
/// the sparse space. Networks chosen by no predictor (a listed space, score 0) are left out.
struct SparseVsFamily {
  std::vector<double> predicted, measured;
  std::vector<int64_t> interval;
};

/// `SparseVsFamily` of `in`; empty without sparse_space.json or family.csv.
SparseVsFamily match_sparse_family(const Inputs& in);

}  // namespace sparsenas::report::detail
