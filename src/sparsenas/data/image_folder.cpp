#include "sparsenas/data/image_folder.h"

#include <algorithm>
#include <string>
#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/data/data_source.h"
#include "sparsenas/data/image_decode.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

Dataset load_image_folder(const fs::path& dir, int image_size, int channels) {
  SNAS_CHECK(channels == 1 || channels == 3, "image folder channels must be 1 or 3, got ",
             channels);
  SNAS_CHECK(image_size >= 0, "image_size must be >= 0 (0 = native size), got ", image_size);
  SNAS_CHECK(fs::is_directory(dir), "image folder not found or not a directory: ", dir);

  Dataset dataset;
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && !is_hidden(entry.path())) class_dirs.push_back(entry.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  SNAS_CHECK(class_dirs.size() >= 2, "image folder ", dir,
             ": expected at least 2 class sub-folders, got ", class_dirs.size());

  std::vector<std::pair<fs::path, int64_t>> files;  // (image, label)
  for (size_t k = 0; k < class_dirs.size(); ++k) {
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(class_dirs[k])) {
      if (entry.is_regular_file() && !is_hidden(entry.path()) && is_image_file_name(entry.path()))
        images.push_back(entry.path());
    }
    SNAS_CHECK(!images.empty(), "image folder class ", class_dirs[k],
               " has no images (expected .png, .jpg, .jpeg or .bmp files)");
    std::sort(images.begin(), images.end());
    for (auto& image : images) files.emplace_back(std::move(image), static_cast<int64_t>(k));
    dataset.class_names.push_back(class_dirs[k].filename().string());
  }

  const auto n = static_cast<int64_t>(files.size());
  dataset.labels = torch::empty({n}, torch::kLong);
  int64_t height = 0, width = 0;
  for (int64_t i = 0; i < n; ++i) {
    const detail::DecodedImage image = detail::decode_image(files[i].first, channels, image_size);
    if (i == 0) {
      height = image.height;
      width = image.width;
      dataset.images = torch::empty({n, channels, height, width}, torch::kByte);
    }
    SNAS_CHECK(image.height == height && image.width == width, "image ", files[i].first,
               ": size must match the first image ", files[0].first, " (", width, "x", height,
               "), got ", image.width, "x", image.height,
               "; set image_size (--image-size N) to resize all images to N x N");
    // Interleaved [H, W, C] -> planar [C, H, W].
    uint8_t* out = dataset.images.data_ptr<uint8_t>() + i * channels * height * width;
    const int64_t plane = height * width;
    for (int64_t p = 0; p < plane; ++p) {
      for (int64_t c = 0; c < channels; ++c) out[c * plane + p] = image.pixels[p * channels + c];
    }
    dataset.labels.data_ptr<int64_t>()[i] = files[i].second;
  }
  dataset.validate("image folder " + dir.string());
  return dataset;
}

}  // namespace sparsenas::data
