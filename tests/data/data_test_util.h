#pragma once
// Helpers for the data tests: tiny IDX / CIFAR / PNG fixtures written into a TempDir, and error
// message capture.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

// Each test translation unit gets its own (static) copy of stb_image_write.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "sparsenas/core/error.h"

namespace sparsenas::data::test {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

/// The message of the sparsenas::Error thrown by `fn`; records a failure if none is thrown.
inline std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sparsenas::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected sparsenas::Error, nothing was thrown";
  return "";
}

inline void append_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

/// IDX images file content: magic 0x803, N, H, W, then pixels (pixel j of image i = `pixel(i, j)`).
inline Bytes idx_images(uint32_t n, uint32_t h, uint32_t w,
                        const std::function<uint8_t(uint32_t, uint32_t)>& pixel) {
  Bytes out;
  append_u32(out, 0x00000803);
  append_u32(out, n);
  append_u32(out, h);
  append_u32(out, w);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < h * w; ++j) out.push_back(pixel(i, j));
  return out;
}

/// IDX labels file content: magic 0x801, N, then the labels.
inline Bytes idx_labels(const std::vector<uint8_t>& labels) {
  Bytes out;
  append_u32(out, 0x00000801);
  append_u32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

inline void write_bytes(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline void write_gzip(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  if (!bytes.empty()) gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

/// Image i has every pixel equal to i (so an image identifies itself), labels i % num_classes.
inline void write_idx_pair(const fs::path& images, const fs::path& labels, uint32_t n, uint32_t h,
                           uint32_t w, int num_classes, bool gzip) {
  std::vector<uint8_t> label_values;
  for (uint32_t i = 0; i < n; ++i) label_values.push_back(static_cast<uint8_t>(i % num_classes));
  const Bytes image_bytes = idx_images(n, h, w, [](uint32_t i, uint32_t) { return i; });
  const Bytes label_bytes = idx_labels(label_values);
  if (gzip) {
    write_gzip(images, image_bytes);
    write_gzip(labels, label_bytes);
  } else {
    write_bytes(images, image_bytes);
    write_bytes(labels, label_bytes);
  }
}

/// Writes the four Fashion-MNIST-named files into `dir`.
inline void write_idx_dir(const fs::path& dir, uint32_t num_train, uint32_t num_test, uint32_t h,
                          uint32_t w, int num_classes, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  write_idx_pair(dir / ("train-images-idx3-ubyte" + ext), dir / ("train-labels-idx1-ubyte" + ext),
                 num_train, h, w, num_classes, gzip);
  write_idx_pair(dir / ("t10k-images-idx3-ubyte" + ext), dir / ("t10k-labels-idx1-ubyte" + ext),
                 num_test, h, w, num_classes, gzip);
}

/// A PNG of `w` x `h` x `channels` whose pixels are given interleaved.
inline void write_png(const fs::path& path, int w, int h, int channels, const Bytes& pixels) {
  fs::create_directories(path.parent_path());
  ASSERT_EQ(pixels.size(), static_cast<size_t>(w * h * channels));
  ASSERT_NE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels), 0);
}

/// A PNG filled with one RGB colour.
inline void write_solid_png(const fs::path& path, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  Bytes pixels;
  pixels.reserve(static_cast<size_t>(w) * h * 3);
  for (int i = 0; i < w * h; ++i) {
    pixels.push_back(r);
    pixels.push_back(g);
    pixels.push_back(b);
  }
  write_png(path, w, h, 3, pixels);
}

}  // namespace sparsenas::data::test
