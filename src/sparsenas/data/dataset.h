#pragma once
// An in-memory image classification dataset and the helpers that work on it (channel statistics,
// a portable random permutation, resizing). The file-format readers live in their own headers,
// which this one includes at its end so that every loader stays declared by `dataset.h`.

#include <torch/types.h>

#include <cstdint>
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

/// A uniformly random permutation of 0..n-1 (Fisher-Yates over `std::mt19937_64` with unbiased
/// rejection sampling): a pure function of (n, seed), identical on every platform and library.
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed);

/// Bilinear resize of uint8 [N, C, H, W] images to [N, C, size, size] (rounded, clamped to 0..255).
/// Returns `images` unchanged when it already has that size.
torch::Tensor resize_images(const torch::Tensor& images, int64_t size);

}  // namespace sparsenas::data

// The readers, one per file format; each includes this header for `Dataset`.
#include "sparsenas/data/cifar_reader.h"   // IWYU pragma: export
#include "sparsenas/data/fashion_mnist.h"  // IWYU pragma: export
#include "sparsenas/data/idx_reader.h"     // IWYU pragma: export
#include "sparsenas/data/image_folder.h"   // IWYU pragma: export
