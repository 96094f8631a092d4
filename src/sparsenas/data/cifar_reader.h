#pragma once
// Reader for the CIFAR-10 / CIFAR-100 binary format.

#include <filesystem>

#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// Loads the CIFAR binary format. `num_classes` is 10 or 100.
///
/// `dir_or_file` is either one `.bin` file or a directory (the extracted `cifar-10-batches-bin/`
/// or `cifar-100-binary/`, or its parent). From a directory, `train` picks `data_batch_1..5.bin`
/// (CIFAR-10) / `train.bin` (CIFAR-100), or else `test_batch.bin` / `test.bin`; `train` is ignored
/// for a single file.
/// Records are 1 label byte + 3072 pixel bytes (CIFAR-10), or 1 coarse + 1 fine label byte + 3072
/// (CIFAR-100; the fine label is used). Class names come from `batches.meta.txt` /
/// `fine_label_names.txt` beside the data when present (CIFAR-10 has built-in defaults; CIFAR-100
/// falls back to "0".."99"). Errors name the file: missing file, size not a multiple of the record
/// size, label out of range, names file with the wrong number of lines.
Dataset load_cifar(const std::filesystem::path& dir_or_file, int num_classes, bool train = true);

}  // namespace sparsenas::data
