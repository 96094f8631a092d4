#pragma once
// File helpers: atomic writes (temp file + fsync + rename), whole-file reads, JSON files.

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace sparsenas {

/// Writes `content` to `path` atomically: a crash leaves either the old file or the new one.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

/// Calls `writer(tmp_path)` to produce the file, fsyncs it, then renames it over `path`.
void write_atomic_with(const std::filesystem::path& path,
                       const std::function<void(const std::filesystem::path&)>& writer);

/// Reads a whole file; throws sparsenas::Error naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

/// Parses a JSON file; errors name the file and the parse position.
nlohmann::json read_json_file(const std::filesystem::path& path);

/// Writes pretty JSON atomically.
void write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace sparsenas
