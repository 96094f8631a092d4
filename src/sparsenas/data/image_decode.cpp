#include "sparsenas/data/image_decode.h"

// The only translation unit that compiles stb's implementations.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <cstring>
#include <memory>

#include "sparsenas/core/error.h"

namespace sparsenas::data::detail {

DecodedImage decode_image(const std::filesystem::path& path, int channels, int size) {
  SNAS_CHECK(channels == 1 || channels == 3, "channels must be 1 or 3, got ", channels);
  int width = 0, height = 0, file_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &width, &height, &file_channels, channels), stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    SNAS_FAIL("cannot decode image ", path, ": ", reason ? reason : "unknown error",
              " (expected a PNG, JPEG or BMP file)");
  }
  DecodedImage image;
  image.channels = channels;
  if (size > 0 && (width != size || height != size)) {
    image.width = image.height = size;
    image.pixels.resize(static_cast<size_t>(size) * size * channels);
    // The triangle filter is bilinear interpolation when upsampling (and a tent average when
    // downsampling, which avoids aliasing).
    const int ok =
        stbir_resize_uint8_generic(pixels.get(), width, height, 0, image.pixels.data(), size, size,
                                   0, channels, STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                                   STBIR_FILTER_TRIANGLE, STBIR_COLORSPACE_LINEAR, nullptr);
    SNAS_CHECK(ok == 1, "cannot resize image ", path, " from ", width, "x", height, " to ", size,
               "x", size);
  } else {
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<size_t>(width) * height * channels);
    std::memcpy(image.pixels.data(), pixels.get(), image.pixels.size());
  }
  return image;
}

}  // namespace sparsenas::data::detail
