#pragma once
// Writer of the IDX format (MNIST's), the one that data/idx_reader.h reads. No LibTorch.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace sparsenas::glyphs {

/// Writes `count` images of `rows` x `cols` uint8 pixels (magic 0x00000803) atomically.
void write_idx_images(const std::filesystem::path& path, const std::vector<uint8_t>& pixels, int64_t count, int rows,
                      int cols);

/// Writes labels atomically: uint8 (magic 0x00000801) when every label is < 256, else 16-bit
/// big-endian (type code 0x0B, magic 0x00000B01), as IDX defines for shorts.
void write_idx_labels(const std::filesystem::path& path, const std::vector<int>& labels);

}  // namespace sparsenas::glyphs
