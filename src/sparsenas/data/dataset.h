#pragma once
// In-memory image classification datasets and their loaders (IDX/MNIST, CIFAR binary, image
// folders).

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::data {

/// An image classification dataset held entirely in memory.
///
/// Invariants (checked by `validate()`, which every loader calls): `images` is uint8
/// [N, C, H, W] and contiguous, `labels` is int64 [N] with values in [0, num_classes()),
/// and `class_names` has one entry per class. A dataset may be empty (N = 0) only as the
/// result of `subset()` or as an empty validation split.
///
/// Example:
/// ```
/// Dataset train = load_idx(dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz",
///                          fashion_mnist_class_names());
/// Dataset first_100 = train.subset(torch::arange(100));
/// ```
struct Dataset {
  torch::Tensor images;                  ///< uint8 [N, C, H, W], contiguous, pixel values 0..255
  torch::Tensor labels;                  ///< int64 [N], class indices
  std::vector<std::string> class_names;  ///< size = num_classes()

  /// Number of images N.
  int64_t size() const;
  /// Channels C (1 for grayscale, 3 for RGB).
  int64_t channels() const;
  /// Image height H in pixels.
  int64_t height() const;
  /// Image width W in pixels.
  int64_t width() const;
  /// Number of classes, `class_names.size()`.
  int64_t num_classes() const;

  /// A copy holding the images at `indices` (int64 [K], each in [0, size())), in that order.
  /// Throws `sparsenas::Error` naming the offending index when one is out of range.
  Dataset subset(const torch::Tensor& indices) const;

  /// Throws `sparsenas::Error` (message starts with `source`, e.g. a file name) when the
  /// invariants above do not hold, the dataset has no images, or fewer than two classes.
  void validate(const std::string& source) const;
};

/// Per-channel mean and standard deviation of the pixels, in [0, 1] pixel units.
struct ChannelStats {
  std::vector<float> mean;  ///< size C
  std::vector<float> std;   ///< size C, population standard deviation
};

/// Exact per-channel statistics of `dataset.images` (computed from 256-bin histograms, so the
/// result does not depend on summation order). Throws on an empty dataset.
ChannelStats channel_stats(const Dataset& dataset);

/// Loads an MNIST-style IDX pair: `images_path` (magic 0x00000803, dims N, H, W big-endian, then
/// N*H*W uint8) and `labels_path` (magic 0x00000801, dim N, then N uint8). Either file may be
/// gzip-compressed or plain; the format is detected from the content, not the name.
///
/// `class_names` empty: the classes are "0", "1", ... up to the largest label. Otherwise every
/// label must be < `class_names.size()`.
/// Errors (`sparsenas::Error`, naming the file, the field, expected and actual): missing file,
/// wrong magic number, truncated or over-long file, image/label count mismatch, label out of
/// range, no images, fewer than two classes.
Dataset load_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                 const std::vector<std::string>& class_names = {});

/// The directory holding Fashion-MNIST's four IDX files (`train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each with or
/// without `.gz`). Looks in `$SNAS_FASHION_MNIST_DIR` when that is set (and then only there),
/// else in /usr/share/datasets/fashion-mnist (Debian package `dataset-fashion-mnist`).
/// Throws `sparsenas::Error` naming the directory, the missing file and how to install it.
std::filesystem::path find_fashion_mnist();

/// The ten Fashion-MNIST class names: "T-shirt/top", "Trouser", ..., "Ankle boot".
const std::vector<std::string>& fashion_mnist_class_names();

/// Path of the IDX file `stem` (e.g. "train-images-idx3-ubyte") in `dir`: `stem.gz` if it exists,
/// else `stem`. Throws `sparsenas::Error` naming both candidates when neither exists.
std::filesystem::path find_idx_file(const std::filesystem::path& dir, const std::string& stem);

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

/// A uniformly random permutation of 0..n-1 (Fisher-Yates over `std::mt19937_64` with unbiased
/// rejection sampling): a pure function of (n, seed), identical on every platform and library.
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed);

/// Bilinear resize of uint8 [N, C, H, W] images to [N, C, size, size] (rounded, clamped to 0..255).
/// Returns `images` unchanged when it already has that size.
torch::Tensor resize_images(const torch::Tensor& images, int64_t size);

}  // namespace sparsenas::data
