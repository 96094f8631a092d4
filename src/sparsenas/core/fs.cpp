#include "sparsenas/core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "sparsenas/core/error.h"

namespace sparsenas {
namespace fs = std::filesystem;

namespace {
void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

fs::path temp_path_for(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}
}  // namespace

void write_atomic_with(const fs::path& path, const std::function<void(const fs::path&)>& writer) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = temp_path_for(path);
  try {
    writer(tmp);
    fsync_path(tmp);
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  if (path.has_parent_path()) fsync_path(path.parent_path());
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  write_atomic_with(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    SNAS_CHECK(out.good(), "cannot open ", tmp, " for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    SNAS_CHECK(out.good(), "failed writing ", tmp, " (disk full?)");
  });
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  SNAS_CHECK(in.good(), "cannot read file ", path, ": ",
             fs::exists(path) ? "permission denied or not a regular file" : "no such file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json read_json_file(const fs::path& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    SNAS_FAIL("invalid JSON in ", path, ": ", e.what());
  }
}

void write_json_file(const fs::path& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

}  // namespace sparsenas
