#include "sparsenas/data/data_config.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/cifar_reader.h"
#include "sparsenas/data/fashion_mnist.h"
#include "sparsenas/data/idx_reader.h"
#include "sparsenas/data/image_folder.h"

namespace sparsenas::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Seed streams derived from split_seed, so the validation split and the test subset differ.
constexpr uint64_t kSplitStream = 0x5b1;
constexpr uint64_t kTestStream = 0x7e5;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

/// The sorted indices `order[begin, end)`, as an int64 tensor.
torch::Tensor sorted_slice(const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  std::vector<int64_t> slice(order.begin() + begin, order.begin() + end);
  std::sort(slice.begin(), slice.end());
  return torch::tensor(slice, torch::kLong);
}

/// An empty dataset with the shape, dtype and classes of `like`.
Dataset empty_like(const Dataset& like) { return like.subset(torch::empty({0}, torch::kLong)); }

void check_same_classes(const Dataset& train, const Dataset& test, const std::string& where) {
  SNAS_CHECK(train.class_names == test.class_names, where,
             ": train and test class names must match, got train {", join(train.class_names),
             "} and test {", join(test.class_names), "}");
}

std::string format_floats(const std::vector<float>& values) {
  std::ostringstream out;
  out.precision(4);
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  return out.str();
}

}  // namespace

void DataConfig::validate() const {
  config_fields::validate_fields(*this, kName);
  const std::vector<std::pair<const char*, const std::string*>> explicit_files = {
      {"train_images", &train_images},
      {"train_labels", &train_labels},
      {"test_images", &test_images},
      {"test_labels", &test_labels}};
  std::vector<std::string> set, unset;
  for (const auto& [name, value] : explicit_files) (value->empty() ? unset : set).push_back(name);
  if (source != "idx") {
    SNAS_CHECK(set.empty(), set.empty() ? "" : set[0],
               " is only used with source 'idx', got source '", source, "'");
  } else if (!set.empty()) {
    SNAS_CHECK(unset.empty(),
               "source 'idx' with explicit files needs all of train_images, "
               "train_labels, test_images, test_labels; missing: ",
               join(unset));
    SNAS_CHECK(path.empty(),
               "source 'idx': set either path or the four explicit files, not both "
               "(path is '",
               path, "')");
  }
  if (source == "idx" && set.empty()) {
    SNAS_CHECK(!path.empty(),
               "path must name the IDX directory for source 'idx' (or set "
               "train_images, train_labels, test_images, test_labels), got an empty path");
  }
  if (source == "cifar10" || source == "cifar100" || source == "folder") {
    SNAS_CHECK(!path.empty(), "path must name the dataset directory for source '", source,
               "', got an empty path");
  }
  if (source != "folder") {
    const int64_t native = (source == "cifar10" || source == "cifar100") ? 3 : 1;
    SNAS_CHECK(channels == 0 || channels == native, "channels must be 0 or ", native,
               " for source '", source, "' (only 'folder' converts), got ", channels);
  }
}

void to_json(json& j, const DataConfig& c) { j = config_fields::to_json(c); }

void from_json(const json& j, DataConfig& c) { config_fields::read(j, c, DataConfig::kName); }

Splits load_splits(const DataConfig& config) {
  config.validate();
  Dataset pool, test;
  if (config.source == "fashion-mnist" || config.source == "idx") {
    const bool fashion = config.source == "fashion-mnist";
    const bool explicit_files = !config.train_images.empty();
    const fs::path dir = explicit_files        ? fs::path()
                         : config.path.empty() ? find_fashion_mnist()
                                               : fs::path(config.path);
    const auto file = [&](const std::string& explicit_path, const char* stem) {
      return explicit_files ? fs::path(explicit_path) : find_idx_file(dir, stem);
    };
    const std::vector<std::string> names =
        fashion ? fashion_mnist_class_names() : std::vector<std::string>{};
    pool = load_idx(file(config.train_images, "train-images-idx3-ubyte"),
                    file(config.train_labels, "train-labels-idx1-ubyte"), names);
    test = load_idx(file(config.test_images, "t10k-images-idx3-ubyte"),
                    file(config.test_labels, "t10k-labels-idx1-ubyte"), names);
    if (!fashion && pool.class_names.size() != test.class_names.size()) {
      // Classes are inferred from the largest label, which may be absent from one split.
      auto& names_all =
          pool.num_classes() > test.num_classes() ? pool.class_names : test.class_names;
      pool.class_names = test.class_names = names_all;
    }
  } else if (config.source == "cifar10" || config.source == "cifar100") {
    const int num_classes = config.source == "cifar10" ? 10 : 100;
    pool = load_cifar(config.path, num_classes, /*train=*/true);
    test = load_cifar(config.path, num_classes, /*train=*/false);
  } else {
    const int channels = config.channels == 0 ? 3 : static_cast<int>(config.channels);
    const int size = static_cast<int>(config.image_size);
    pool = load_image_folder(fs::path(config.path) / "train", size, channels);
    test = load_image_folder(fs::path(config.path) / "test", size, channels);
  }
  check_same_classes(pool, test, config.source + " " + config.path);
  SNAS_CHECK(pool.channels() == test.channels() && pool.height() == test.height() &&
                 pool.width() == test.width(),
             config.source, ": train and test image shapes must match, got ",
             pool.images.sizes().slice(1), " and ", test.images.sizes().slice(1),
             "; set image_size to resize both");
  if (config.image_size > 0) {
    pool.images = resize_images(pool.images, config.image_size);
    test.images = resize_images(test.images, config.image_size);
  }

  const int64_t n = pool.size();
  SNAS_CHECK(config.val_size < n, "val_size must be < the number of training images (", n,
             "), got ", config.val_size);
  const std::vector<int64_t> order =
      random_permutation(n, mix_seed(config.split_seed, kSplitStream));
  int64_t train_end = n;
  if (config.train_limit > 0) train_end = std::min(n, config.val_size + config.train_limit);

  Splits splits;
  splits.val =
      config.val_size > 0 ? pool.subset(sorted_slice(order, 0, config.val_size)) : empty_like(pool);
  splits.train = pool.subset(sorted_slice(order, config.val_size, train_end));
  if (config.test_limit > 0 && config.test_limit < test.size()) {
    const std::vector<int64_t> test_order =
        random_permutation(test.size(), mix_seed(config.split_seed, kTestStream));
    splits.test = test.subset(sorted_slice(test_order, 0, config.test_limit));
  } else {
    splits.test = std::move(test);
  }
  const ChannelStats stats = channel_stats(splits.train);
  splits.mean = stats.mean;
  splits.std = stats.std;

  SNAS_LOG(INFO) << "data: " << config.source << " train " << splits.train.size() << " val "
                 << splits.val.size() << " test " << splits.test.size() << ", "
                 << splits.train.channels() << "x" << splits.train.height() << "x"
                 << splits.train.width() << ", " << splits.train.num_classes() << " classes, mean "
                 << format_floats(splits.mean) << " std " << format_floats(splits.std);
  return splits;
}

}  // namespace sparsenas::data
