#include "sparsenas/core/hash.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <vector>

#include "sparsenas/core/error.h"

namespace sparsenas {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

std::string hex64(uint64_t h) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

}  // namespace

std::string hash_string(const std::string& bytes) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return hex64(h);
}

std::string hash_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  SNAS_CHECK(in, "cannot read ", path);
  uint64_t h = kFnvOffset;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buffer[i])) * kFnvPrime;
  }
  return hex64(h);
}

}  // namespace sparsenas
