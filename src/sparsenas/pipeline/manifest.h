#pragma once
// manifest.json of a run directory: per stage, the hashes that decide whether it must run again,
// and its cost (paper Table 4 units). Format: docs/run-directory.md.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sparsenas::pipeline {

/// One stage's record.
struct StageRecord {
  std::string name;
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
  int64_t epochs = 0;
  int64_t n_sub = 0;
  nlohmann::json metrics = nlohmann::json::object();
};

void to_json(nlohmann::json& json, const StageRecord& record);
void from_json(const nlohmann::json& json, StageRecord& record);

/// The whole manifest.
struct Manifest {
  int version = 1;
  std::string method = "sparsenas";
  std::vector<StageRecord> stages;  ///< in pipeline order (stages not yet started are absent)

  /// The record of `name`, or null.
  StageRecord* find(const std::string& name);
  const StageRecord* find(const std::string& name) const;
  /// The record of `name`, appended when absent.
  StageRecord& get(const std::string& name);

  /// Reads `path`; errors name the file. A missing file gives an empty manifest.
  static Manifest read(const std::filesystem::path& path);
  /// Writes atomically.
  void write(const std::filesystem::path& path) const;
};

/// 64-bit FNV-1a of `bytes`, as 16 lowercase hex digits.
std::string hash_string(const std::string& bytes);
/// FNV-1a of a file's content (streamed). Throws naming the file when it cannot be read.
std::string hash_file(const std::filesystem::path& path);
/// Current time as ISO 8601 UTC, e.g. "2026-11-27T23:40:01Z".
std::string utc_now();
/// Process CPU time (user + system) in seconds, all threads.
double process_cpu_seconds();

}  // namespace sparsenas::pipeline
