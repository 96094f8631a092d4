#pragma once
// Reader for image folders: `dir/<class>/<image>` with PNG, JPEG or BMP files.

#include <filesystem>

#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// Loads `dir/<class>/<image>`: one sub-folder per class, class names = the sorted folder names
/// (hidden entries skipped). Files ending in .png, .jpg, .jpeg or .bmp (any case) are decoded with
/// stb_image; other files are ignored.
///
/// `image_size` > 0: every image is resized (bilinear) to image_size x image_size when it differs.
/// `image_size` = 0: images are kept at their native size, which must then be the same for all.
/// `channels` is 1 (grayscale) or 3 (RGB); images are converted as needed.
/// Errors name the file or folder: undecodable image, size mismatch, empty class folder, fewer
/// than two classes.
Dataset load_image_folder(const std::filesystem::path& dir, int image_size, int channels);

}  // namespace sparsenas::data
