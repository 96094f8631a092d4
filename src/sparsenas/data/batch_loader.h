#pragma once
// Batches of normalised float images from an in-memory Dataset, with seeded shuffling and
// augmentation that make any batch of any epoch reproducible on its own (for mid-epoch resume).

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// One mini-batch.
struct Batch {
  torch::Tensor images;  ///< float [B, C, H, W], normalised, channels_last memory format
  torch::Tensor labels;  ///< int64 [B]
};

/// Converts uint8 [N, C, H, W] (any memory layout) to float [N, C, H, W] in channels_last memory
/// format with `(pixel / 255 - mean[c]) / std[c]`. `mean` and `std` have one value per channel
/// (or one value for all channels), in [0, 1] pixel units; every std must be > 0.
torch::Tensor to_float_normalized(const torch::Tensor& uint8_images, const std::vector<float>& mean,
                                  const std::vector<float>& std);

/// Serves batches of a `Dataset` in an order that is a pure function of (seed, epoch).
///
/// - Shuffle on: epoch e visits a random permutation of all images (seeded by (seed, e)).
///   Shuffle off: images in dataset order.
/// - drop_last: the last, smaller batch is dropped; otherwise it is served.
/// - Augment on (use it for training only): each image gets a random crop of the image zero-padded
///   by 2 pixels on every side (output size unchanged) and a horizontal flip with probability
///   1/2: row j of a batch takes the j-th draw of a local RNG seeded by (seed, epoch, batch index),
///   never the global RNG, so a row's augmentation does not depend on which other rows are built.
///   Padding is zero pixels *before* normalisation, as torchvision's RandomCrop(padding=2) does.
///
/// Because `get(i)` depends only on (seed, epoch, i), training can resume in the middle of an
/// epoch: call `start_epoch(e)` and continue from `get(k)`. The loader is not thread-safe, but
/// `get` is const, so several threads may call it on one loader at once.
///
/// Example:
/// ```
/// BatchLoader loader(splits.train, 128, /*shuffle=*/true, /*drop_last=*/true, /*augment=*/true,
///                    splits.mean, splits.std, /*seed=*/42);
/// for (int64_t epoch = 0; epoch < num_epochs; ++epoch) {
///   loader.start_epoch(epoch);
///   for (int64_t i = 0; i < loader.num_batches(); ++i) train_step(loader.get(i));
/// }
/// ```
class BatchLoader {
 public:
  /// `batch_size` >= 1; `mean`/`std` as for `to_float_normalized`. Starts at epoch 0.
  /// Throws `sparsenas::Error` on an invalid dataset (see `Dataset::validate`, except that an
  /// empty dataset is allowed and has no batches) or invalid arguments.
  BatchLoader(Dataset dataset, int64_t batch_size, bool shuffle, bool drop_last, bool augment,
              std::vector<float> mean, std::vector<float> std, uint64_t seed);

  /// Batches per epoch: size / batch_size, rounded down with drop_last, up without.
  int64_t num_batches() const;

  /// Sets the epoch (>= 0) that `get` and `batch_indices` serve.
  void start_epoch(int64_t epoch);
  /// The epoch set by the last `start_epoch` (0 after construction).
  int64_t epoch() const { return epoch_; }

  /// Batch `index` (in [0, num_batches())) of the current epoch.
  Batch get(int64_t index) const;
  /// Rows [first, first + count) of batch `index`, equal to those rows of `get(index)` (images,
  /// augmentation and labels), built without the other rows: a data-parallel rank's shard.
  Batch get(int64_t index, int64_t first, int64_t count) const;
  /// Images in batch `index` (batch_size, or fewer for the last one without drop_last).
  int64_t batch_length(int64_t index) const;

  /// Dataset indices of batch `index` of the current epoch.
  std::vector<int64_t> batch_indices(int64_t index) const;

  /// The dataset served (shares storage with the one passed in).
  const Dataset& dataset() const { return dataset_; }
  /// Images per batch (the last batch may be smaller unless drop_last).
  int64_t batch_size() const { return batch_size_; }

 private:
  Dataset dataset_;
  int64_t batch_size_;
  bool shuffle_;
  bool drop_last_;
  bool augment_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;  ///< permutation of the current epoch (empty when not shuffling)
  std::vector<float> lut_;      ///< [C * 256]: normalised value of each uint8 pixel per channel
};

}  // namespace sparsenas::data
