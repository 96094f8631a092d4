#pragma once
// Internal: image decoding and resizing through stb_image (kept out of LibTorch translation units).

#include <cstdint>
#include <filesystem>
#include <vector>

namespace sparsenas::data::detail {

/// A decoded image, pixels interleaved: [height, width, channels].
struct DecodedImage {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes a PNG/JPEG/BMP file to `channels` (1 or 3) channels and, when `size` > 0 and the
/// image is not already size x size, resizes it bilinearly (stb triangle filter) to that size.
/// Throws `sparsenas::Error` naming the file and stb's reason when it cannot be decoded.
DecodedImage decode_image(const std::filesystem::path& path, int channels, int size);

}  // namespace sparsenas::data::detail
