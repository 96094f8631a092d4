#pragma once
// DataConfig (which dataset, how to split it) and load_splits(): train / validation / test sets.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

/// The validation and test share of one's own data when no size is given.
inline constexpr double kDefaultSplitFraction = 0.1;

/// True for a split size: a count (an integer >= 0) or a fraction in (0, 1).
bool is_split_size(const nlohmann::json& size);

/// The number of images a split size (is_split_size) stands for out of `total`: the count, or the
/// fraction times `total` rounded to the nearest integer.
int64_t split_count(const nlohmann::json& size, int64_t total);

/// Where the data comes from and how it is split. Defaults give Fashion-MNIST from the Debian
/// package with 5000 training images held out for validation.
///
/// Example (JSON):
/// ```
/// {"source": "cifar10", "path": "/data/cifar-10-batches-bin", "val_size": 5000, "train_limit":
/// 2000}
/// {"source": "auto", "path": "/data/pets"}   // resolved by resolve_data_config()
/// ```
struct DataConfig {
  static constexpr const char* kName = "DataConfig";  ///< prefix of field names in errors

  std::string source = "fashion-mnist";
  /// fashion-mnist: "" = `find_fashion_mnist()`, else a directory with its four IDX files. idx: a
  /// directory with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
  /// t10k-labels-idx1-ubyte (each with or without .gz), unless the four explicit files are set.
  /// cifar10/cifar100: see `load_cifar`. folder: a directory with `train/` and `test/`, each
  /// holding one sub-folder per class (same class names in both). imagefolder: a directory with
  /// one sub-folder of images per class (torchvision's ImageFolder), split by `stratified_split`.
  /// glyphs: a directory made by `sparsenas dataset glyphs` (IDX files with their own validation
  /// split, class names from its manifest). An idx directory that holds val-images-idx3-ubyte and
  /// val-labels-idx1-ubyte takes them as the validation split.
  /// auto: any of these, told by `infer_data_source` (resolve_data_config() replaces it).
  std::string path;
  std::string train_images;
  std::string train_labels;
  std::string test_images;
  std::string test_labels;
  int64_t image_size = 0;
  /// Other sources than "folder" only accept 0 or their native count.
  int64_t channels = 0;
  /// A count (integer >= 0) or a fraction in (0, 1) of the training images (imagefolder: of all
  /// images); must leave training images (checked by `load_splits`). See resolve_data_config()
  /// for the default on one's own data.
  nlohmann::json val_size = 5000;
  /// imagefolder only (null otherwise, and then left out of the JSON): a count or a fraction of the
  /// images held out as the test split; null = kDefaultSplitFraction.
  nlohmann::json test_size = nullptr;
  uint64_t split_seed = 0;
  /// The subset is taken after the validation images were held out, so `val` does not depend on it.
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  /// Not used by `load_splits`; the trainer passes it to `BatchLoader`.
  bool augment = true;
  /// glyphs only: the data set's manifest hash, set by resolve_data_config() so that it enters
  /// every stage hash; load_splits() refuses a directory whose manifest says otherwise. Empty
  /// (and then left out of the JSON, which keeps the other sources' hashes) for the others.
  std::string content_hash;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h). Checks between
  /// fields (which files go with which source) are in validate().
  template <class V>
  void fields(V& v) {
    v("source", source, "dataset")
        .one_of({"fashion-mnist", "idx", "glyphs", "cifar10", "cifar100", "folder", "imagefolder", "auto"},
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
    v("val_size", val_size,
      "training images held out as the validation split: a count (0 = none) or a fraction "
      "(0.1); idx, folder, imagefolder: 0.1 unless given")
        .check(is_split_size, "be a count (an integer >= 0) or a fraction in (0, 1)");
    v("test_size", test_size,
      "imagefolder only: images held out as the test split, a count or a fraction (default 0.1)")
        .check([](const nlohmann::json& s) { return s.is_null() || is_split_size(s); },
               "be a count (an integer >= 0) or a fraction in (0, 1)");
    v("split_seed", split_seed, "seed of the train/validation split and of the test_limit subset");
    v("train_limit", train_limit, "at most this many training images, a seeded subset (0 = all)")
        .min(0)
        .note("0 = all");
    v("test_limit", test_limit, "a seeded random subset of this many test images (0 = all)")
        .min(0)
        .note("0 = all");
    v("augment", augment,
      "train-time random crop (2-pixel zero padding) and horizontal flip (glyphs: always off, a flip turns b into d)");
    v("content_hash", content_hash, "glyphs only: the data set's manifest hash (set from its manifest.json)");
  }

  /// Throws `sparsenas::Error` naming the field, what is expected and the actual value.
  void validate() const;
};

/// Resolves what a config leaves to the data, so that the config printed, stored in a run
/// directory and hashed is explicit: source "auto" becomes the kind `infer_data_source(path)`
/// finds (logged as one INFO line: kind, classes, image counts); for one's own data (source idx,
/// folder or imagefolder) `val_size` becomes kDefaultSplitFraction unless `val_size_given` (the
/// user set it: flag or config file; a preset's count is meant for Fashion-MNIST); imagefolder's
/// unset `test_size` becomes kDefaultSplitFraction. Fashion-MNIST and CIFAR configs are unchanged.
/// Throws `sparsenas::Error` naming the path when "auto" finds no known kind.
void resolve_data_config(DataConfig& config, bool val_size_given);

/// True when `config` (source idx or glyphs, a directory path) points at a directory holding
/// val-images-idx3-ubyte and val-labels-idx1-ubyte (plain or .gz): its own validation split.
bool has_val_files(const DataConfig& config);

/// Writes every field (test_size and content_hash only when set).
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
/// = the rest (capped by `train_limit`). imagefolder: the one folder is split by
/// `stratified_split` into train, val (`val_size`) and test (`test_size`), and `train_limit` takes
/// a seeded subset of train. Each split keeps the original file order. Source "auto" is resolved
/// first (resolve_data_config, sizes as given).
/// Logs one INFO line with the split sizes and statistics.
Splits load_splits(const DataConfig& config);

}  // namespace sparsenas::data
