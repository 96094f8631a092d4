#pragma once
// What kind of dataset a path holds, told from its layout alone (`--data PATH`). No LibTorch.

#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::data {

/// The kind found at a path and what was seen there. Nothing is decoded: folders are listed, IDX
/// headers and CIFAR file sizes read, so this is fast on any dataset size.
struct DataSourceInfo {
  /// A `DataConfig::source`: "folder", "imagefolder", "idx", "glyphs", "cifar10" or "cifar100".
  std::string source;
  /// Class folder names, sorted ("folder": those of train/; empty for idx and CIFAR).
  std::vector<std::string> class_names;
  /// Image files (folders) or records (IDX, CIFAR): all of them for "imagefolder", else of the
  /// training and the test set.
  long long images = 0, train_images = 0, test_images = 0;

  /// One line for the log: the path, the kind, the classes and the image counts.
  std::string describe(const std::filesystem::path& path) const;
};

/// Infers the kind of dataset at `path`, checking in this order:
/// 0. `manifest.json` beside `train-images-idx3-ubyte` (made by `sparsenas dataset glyphs`): "glyphs";
/// 1. `train/` and `test/` sub-folders: "folder";
/// 2. the four IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
///    `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each plain or `.gz`): "idx";
/// 3. CIFAR-10 binaries (`data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`), also inside
///    `cifar-10-batches-bin/`: "cifar10"; CIFAR-100 (`train.bin`, `test.bin`, also inside
///    `cifar-100-binary/`): "cifar100";
/// 4. sub-folders holding images (.png, .jpg, .jpeg, .bmp; torchvision's ImageFolder layout
///    `root/<class>/<image>`): "imagefolder".
/// Throws `sparsenas::Error` naming the path when it does not exist, is not a directory, or is none
/// of these (the message lists what was looked for and what the folder holds).
DataSourceInfo infer_data_source(const std::filesystem::path& path);

/// True for the file names image folders load: .png, .jpg, .jpeg, .bmp in any case.
bool is_image_file_name(const std::filesystem::path& path);

}  // namespace sparsenas::data
