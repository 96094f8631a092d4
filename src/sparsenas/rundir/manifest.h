#pragma once
// manifest.json of a run directory: per stage, the hashes that decide whether it must run again,
// its status and its cost (paper Table 4 units). One record type for the pipeline that writes it
// and the report, compare and CLI that read it. Format: docs/run-directory.md.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sparsenas::rundir {

/// One stage's record. Reading is lenient about absent fields (numbers read as 0, strings as ""),
/// strict about present ones (a wrong type is an error naming the stage and the field).
struct StageRecord {
  std::string name;         ///< teacher, proxy, pairs, predictor, sparse_space, supernet, family, ...
  std::string status;       ///< "running" or "done"
  std::string config_hash;  ///< hash of the stage's config section and the shared settings
  std::map<std::string, std::string> input_hashes;  ///< upstream stage -> its output_hash
  std::string output_hash;                          ///< hash of the stage's artifact(s)
  std::string started, finished;                    ///< ISO 8601 UTC
  double wall_seconds = 0.0;                        ///< summed over resumes
  double core_seconds = 0.0;                        ///< process CPU seconds, summed over resumes
  int64_t subnet_passes = 0;
  int64_t teacher_passes = 0;
  int64_t eval_images = 0;
  int64_t images_seen = 0;
  int64_t epochs = 0;  ///< > 0 exactly for training stages
  int64_t n_sub = 0;
  nlohmann::json metrics = nlohmann::json::object();  ///< stage-specific numbers

  /// metrics[key] as a number, or nullopt when absent or null. Throws sparsenas::Error (naming
  /// the stage and key) when present with another type.
  std::optional<double> metric(const std::string& key) const;
  /// metrics[key] as text (a string as is, a number printed), or nullopt when absent.
  std::optional<std::string> metric_text(const std::string& key) const;
};

void to_json(nlohmann::json& json, const StageRecord& record);

/// The whole manifest.
struct Manifest {
  int64_t version = 1;
  std::string method = "sparsenas";
  std::vector<StageRecord> stages;  ///< in pipeline order (stages not yet started are absent)

  /// The record of `name`, or null.
  StageRecord* find(const std::string& name);
  const StageRecord* find(const std::string& name) const;
  /// The record of `name`, appended when absent.
  StageRecord& get(const std::string& name);

  /// For resuming a run: reads `path`, or gives an empty manifest when there is none. A corrupt
  /// file (or another version than 1) is an error that names it and says how to start afresh.
  static Manifest read(const std::filesystem::path& path);
  /// Writes atomically.
  void write(const std::filesystem::path& path) const;
};

/// Parses the manifest JSON; errors name `source`, the stage and the field.
Manifest parse_manifest(const nlohmann::json& json, const std::string& source);
/// Reads `manifest.json`; errors name the file.
Manifest read_manifest(const std::filesystem::path& path);

}  // namespace sparsenas::rundir
