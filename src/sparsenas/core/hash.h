#pragma once
// Content hashes of the run directory's resume logic (manifest.json): 64-bit FNV-1a, as 16
// lowercase hex digits. Not cryptographic: it detects changes, it does not resist forgery.

#include <filesystem>
#include <string>

namespace sparsenas {

/// FNV-1a of `bytes`.
std::string hash_string(const std::string& bytes);
/// FNV-1a of a file's content (streamed). Throws naming the file when it cannot be read.
std::string hash_file(const std::filesystem::path& path);

}  // namespace sparsenas
