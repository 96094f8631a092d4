#include "sparsenas/glyphs/idx_writer.h"

#include <algorithm>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::glyphs {

namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

}  // namespace

void write_idx_images(const std::filesystem::path& path, const std::vector<uint8_t>& pixels, int64_t count, int rows,
                      int cols) {
  SNAS_INTERNAL_ASSERT(static_cast<int64_t>(pixels.size()) == count * rows * cols, "IDX images: ", pixels.size(),
                       " pixels for ", count, " images of ", rows, "x", cols);
  std::string out;
  out.reserve(16 + pixels.size());
  put_u32(out, 0x00000803);
  put_u32(out, static_cast<uint32_t>(count));
  put_u32(out, static_cast<uint32_t>(rows));
  put_u32(out, static_cast<uint32_t>(cols));
  out.append(reinterpret_cast<const char*>(pixels.data()), pixels.size());
  write_file_atomic(path, out);
}

void write_idx_labels(const std::filesystem::path& path, const std::vector<int>& labels) {
  const int max_label = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end());
  SNAS_INTERNAL_ASSERT(max_label < 32768, "IDX labels beyond 16 bits: ", max_label);
  const bool wide = max_label >= 256;
  std::string out;
  put_u32(out, wide ? 0x00000B01 : 0x00000801);
  put_u32(out, static_cast<uint32_t>(labels.size()));
  for (int label : labels) {
    if (wide) out += static_cast<char>((label >> 8) & 0xFF);
    out += static_cast<char>(label & 0xFF);
  }
  write_file_atomic(path, out);
}

}  // namespace sparsenas::glyphs
