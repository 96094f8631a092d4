#pragma once
// DataConfig (which dataset, how to split it) and load_splits(): train / validation / test sets.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// Where the data comes from and how it is split. Defaults give Fashion-MNIST from the Debian
/// package with 5000 training images held out for validation.
///
/// Example (JSON):
/// ```
/// {"source": "cifar10", "path": "/data/cifar-10-batches-bin", "val_size": 5000, "train_limit":
/// 2000}
/// ```
struct DataConfig {
  static constexpr const char* kName = "DataConfig";  ///< prefix of field names in errors

  std::string source = "fashion-mnist";
  /// fashion-mnist: "" = `find_fashion_mnist()`, else a directory with its four IDX files. idx: a
  /// directory with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
  /// t10k-labels-idx1-ubyte (each with or without .gz), unless the four explicit files are set.
  /// cifar10/cifar100: see `load_cifar`. folder: a directory with `train/` and `test/`, each
  /// holding one sub-folder per class (same class names in both).
  std::string path;
  std::string train_images;
  std::string train_labels;
  std::string test_images;
  std::string test_labels;
  int64_t image_size = 0;
  /// Other sources than "folder" only accept 0 or their native count.
  int64_t channels = 0;
  /// Must also be < the number of training images (checked by `load_splits`).
  int64_t val_size = 5000;
  uint64_t split_seed = 0;
  /// The subset is taken after the validation images were held out, so `val` does not depend on it.
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  /// Not used by `load_splits`; the trainer passes it to `BatchLoader`.
  bool augment = true;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h). Checks between
  /// fields (which files go with which source) are in validate().
  template <class V>
  void fields(V& v) {
    v("source", source, "dataset")
        .one_of({"fashion-mnist", "idx", "cifar10", "cifar100", "folder"},
                config_fields::ChoiceWording::kBraced);
    v("path", path, "dataset directory (fashion-mnist: \"\" = the Debian package's)");
    v("train_images", train_images, "idx only: explicit training images file (set all four or none)");
    v("train_labels", train_labels, "idx only: explicit training labels file");
    v("test_images", test_images, "idx only: explicit test images file");
    v("test_labels", test_labels, "idx only: explicit test labels file");
    v("image_size", image_size, "square side every image is resized to (bilinear; 0 = native)")
        .range(0, 4096)
        .note("0 = native");
    v("channels", channels, "1 or 3 for \"folder\" (images are converted); 0 = native")
        .check([](int64_t c) { return c == 0 || c == 1 || c == 3; }, "be 0 (native), 1 or 3");
    v("val_size", val_size, "training images held out as the validation split (0 = none)").min(0);
    v("split_seed", split_seed, "seed of the train/validation split and of the test_limit subset");
    v("train_limit", train_limit, "at most this many training images, a seeded subset (0 = all)")
        .min(0)
        .note("0 = all");
    v("test_limit", test_limit, "a seeded random subset of this many test images (0 = all)")
        .min(0)
        .note("0 = all");
    v("augment", augment, "train-time random crop (2-pixel zero padding) and horizontal flip");
  }

  /// Throws `sparsenas::Error` naming the field, what is expected and the actual value.
  void validate() const;
};

/// Writes every field.
void to_json(nlohmann::json& json, const DataConfig& config);
/// Reads the keys present (others keep their current values). Unknown keys and wrongly typed
/// values throw `sparsenas::Error` (listing the valid keys). Does not call `validate()`.
void from_json(const nlohmann::json& json, DataConfig& config);

/// The three splits and the normalisation statistics of the training split.
struct Splits {
  Dataset train;            ///< training images (never contains a validation image)
  Dataset val;              ///< held out of the original training set; may be empty (val_size = 0)
  Dataset test;             ///< the dataset's test set (or a `test_limit` subset of it)
  std::vector<float> mean;  ///< per channel, [0, 1] pixel units, computed on `train`
  std::vector<float> std;   ///< per channel, [0, 1] pixel units, computed on `train`
};

/// Validates `config`, loads the training and test sets, resizes them to `image_size`, and splits
/// the training set with a seeded permutation: `val` = the first `val_size` images of it, `train`
/// = the rest (capped by `train_limit`). Each split keeps the original file order.
/// Logs one INFO line with the split sizes and statistics.
Splits load_splits(const DataConfig& config);

}  // namespace sparsenas::data
