#pragma once
// Reader for the IDX format of MNIST-style datasets (images and labels files, plain or gzip).

#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// Loads an MNIST-style IDX pair: `images_path` (magic 0x00000803, dims N, H, W big-endian, then
/// N*H*W uint8) and `labels_path` (magic 0x00000801, dim N, then N uint8; or magic 0x00000B01,
/// IDX's 16-bit type, then N big-endian labels, for more than 256 classes). Either file may be
/// gzip-compressed or plain; the format is detected from the content, not the name.
///
/// `class_names` empty: the classes are "0", "1", ... up to the largest label. Otherwise every
/// label must be < `class_names.size()`.
/// Errors (`sparsenas::Error`, naming the file, the field, expected and actual): missing file,
/// wrong magic number, truncated or over-long file, image/label count mismatch, label out of
/// range, no images, fewer than two classes.
Dataset load_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                 const std::vector<std::string>& class_names = {});

/// Path of the IDX file `stem` (e.g. "train-images-idx3-ubyte") in `dir`: `stem.gz` if it exists,
/// else `stem`. Throws `sparsenas::Error` naming both candidates when neither exists.
std::filesystem::path find_idx_file(const std::filesystem::path& dir, const std::string& stem);

}  // namespace sparsenas::data
