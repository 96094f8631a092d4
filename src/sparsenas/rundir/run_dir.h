#pragma once
// One reader of a run directory (docs/run-directory.md) for every command that reads a run:
// `search`, `export`, `space-stats`, `compare`, the report and the pipeline's own `read_run`.
// `open_run` checks that the folder is a run directory; the accessors read one artifact each with
// its typed reader, and every error names the file (and says how to finish the run when an
// artifact is missing).

#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/core/error.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/history.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/rundir/pairs_noise.h"
#include "sparsenas/rundir/predictor_tables.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"

namespace sparsenas::rundir {

/// An opened run directory. Cheap to copy; reads nothing but `config.json` until asked.
class RunDir {
 public:
  /// The folder and its `config.json` (a JSON object: the resolved RunConfig, read as JSON here
  /// because RunConfig lives above this library; pipeline::read_run converts it).
  RunDir(std::filesystem::path dir, nlohmann::json config, std::string label);

  const std::filesystem::path& path() const { return dir_; }
  /// `path() / artifact`.
  std::filesystem::path file(const std::string& artifact) const { return dir_ / artifact; }
  bool has(const std::string& artifact) const;
  /// Throws unless every artifact exists, naming the first missing one and saying that the run
  /// has not finished (rerun its `sparsenas run` command).
  void require(std::initializer_list<const char*> artifacts) const;

  const nlohmann::json& config() const { return config_; }
  /// config.json's method, preset and seed (defaults: sparsenas, "?", 0).
  std::string method() const;
  std::string preset() const;
  int64_t seed() const;

  Manifest manifest() const;
  search::FamilyTable family() const;
  search::SparseSpace sparse_space() const;
  /// `family_correct.json` (per-image correctness of the family; absent in runs made before it).
  ImageCorrectness family_correctness() const;
  /// `pairs.csv`; with `space`, each architecture is checked against it and canonicalised.
  predictor::PairsDataset pairs(const space::SearchSpace* space = nullptr) const;
  /// `pairs_noise.json`.
  predictor::MeasurementNoise pairs_noise() const;
  std::vector<PredictorScore> predictor_scores() const;
  HeldoutPredictions heldout() const;
  /// `<stage>/history.json`.
  std::vector<HistoryEpoch> history(const std::string& stage) const;

  /// Reads `artifact` with `reader(path)`: a missing file is the error of `require`; an error
  /// that does not name the file is prefixed with it.
  template <typename Reader>
  auto read(const std::string& artifact, Reader reader) const -> decltype(reader(std::filesystem::path{})) {
    require_one(artifact);
    const std::filesystem::path p = file(artifact);
    try {
      return reader(p);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.find(p.string()) != std::string::npos) throw;
      SNAS_FAIL(p.string(), ": ", message);
    } catch (const nlohmann::json::exception& e) {
      SNAS_FAIL(p.string(), ": ", e.what());
    }
  }

 private:
  void require_one(const std::string& artifact) const;

  std::filesystem::path dir_;
  nlohmann::json config_;
  std::string label_;  // how errors name the run: "--run DIR", "run DIR"
};

/// Opens `dir` as a run directory: it must be a directory holding a readable `config.json`.
/// Errors start with `label` and the folder ("--run runs/x: no such run directory", "...: no
/// config.json, so not a sparsenas run directory", "...: corrupt config.json: ...").
RunDir open_run(const std::filesystem::path& dir, const std::string& label = "--run");

}  // namespace sparsenas::rundir
