#include "sparsenas/rundir/run_dir.h"

#include <sstream>

#include "sparsenas/core/fs.h"

namespace sparsenas::rundir {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quoted_path(const fs::path& p) {
  std::ostringstream s;
  s << p;
  return s.str();
}

}  // namespace

RunDir::RunDir(fs::path dir, json config, std::string label)
    : dir_(std::move(dir)), config_(std::move(config)), label_(std::move(label)) {}

bool RunDir::has(const std::string& artifact) const {
  std::error_code ec;
  return fs::exists(file(artifact), ec);
}

void RunDir::require_one(const std::string& artifact) const {
  SNAS_CHECK(has(artifact), label_, " ", quoted_path(dir_), ": no ", artifact,
             " yet: the run has not finished; rerun its `sparsenas run` command to complete it");
}

void RunDir::require(std::initializer_list<const char*> artifacts) const {
  for (const char* artifact : artifacts) require_one(artifact);
}

std::string RunDir::method() const { return config_.value("method", std::string("sparsenas")); }
std::string RunDir::preset() const { return config_.value("preset", std::string("?")); }
int64_t RunDir::seed() const { return config_.value("seed", int64_t{0}); }

Manifest RunDir::manifest() const {
  return read(kManifest, [](const fs::path& p) { return read_manifest(p); });
}

search::FamilyTable RunDir::family() const {
  return read(kFamily, [](const fs::path& p) { return search::FamilyTable::read_csv(p); });
}

search::SparseSpace RunDir::sparse_space() const {
  return read(kSparseSpace, [](const fs::path& p) { return search::read_sparse_space(p); });
}

ImageCorrectness RunDir::family_correctness() const {
  return read(kFamilyCorrect, [](const fs::path& p) { return read_image_correctness(p); });
}

predictor::PairsDataset RunDir::pairs(const space::SearchSpace* space) const {
  return read(kPairs, [space](const fs::path& p) { return predictor::PairsDataset::read_csv(p, space); });
}

predictor::MeasurementNoise RunDir::pairs_noise() const {
  return read(kPairsNoise, [](const fs::path& p) { return read_pairs_noise(p); });
}

std::vector<PredictorScore> RunDir::predictor_scores() const {
  return read(kPredictorScores, [](const fs::path& p) { return read_predictor_scores(p); });
}

HeldoutPredictions RunDir::heldout() const {
  return read(kHeldout, [](const fs::path& p) { return read_heldout(p); });
}

std::vector<HistoryEpoch> RunDir::history(const std::string& stage) const {
  return read(stage + "/" + kHistoryFile, [](const fs::path& p) { return read_history(p); });
}

RunDir open_run(const fs::path& dir, const std::string& label) {
  const std::string where = label + " " + quoted_path(dir);
  SNAS_CHECK(fs::is_directory(dir), where, ": no such run directory");
  SNAS_CHECK(fs::exists(dir / kConfig), where,
             ": no config.json, so not a sparsenas run directory (made by `sparsenas run --out DIR`)");
  json config;
  try {
    config = read_json_file(dir / kConfig);
    SNAS_CHECK(config.is_object(), "expected a JSON object, got ", config.type_name());
  } catch (const Error& e) {
    SNAS_FAIL(where, ": corrupt config.json: ", e.what());
  }
  return RunDir(dir, std::move(config), label);
}

}  // namespace sparsenas::rundir
