#include "sparsenas/data/data_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/cifar_reader.h"
#include "sparsenas/data/data_source.h"
#include "sparsenas/data/fashion_mnist.h"
#include "sparsenas/data/idx_reader.h"
#include "sparsenas/data/image_folder.h"
#include "sparsenas/data/stratified_split.h"
#include "sparsenas/glyphs/glyph_dataset.h"

namespace sparsenas::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Seed streams derived from split_seed, so the validation split and the test subset differ.
constexpr uint64_t kSplitStream = 0x5b1;
constexpr uint64_t kTestStream = 0x7e5;
constexpr uint64_t kTrainStream = 0x7a1;  // imagefolder's train_limit subset

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

/// The names of `a` missing from `b`.
std::vector<std::string> missing_from(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& name : a) {
    if (std::find(b.begin(), b.end(), name) == b.end()) out.push_back(name);
  }
  return out;
}

void check_same_classes(const Dataset& train, const Dataset& test, const std::string& where) {
  if (train.class_names == test.class_names) return;
  const auto only_train = missing_from(train.class_names, test.class_names);
  const auto only_test = missing_from(test.class_names, train.class_names);
  SNAS_FAIL(where, ": train and test class names must match, got train {", join(train.class_names),
            "} and test {", join(test.class_names), "}",
            only_train.empty() ? "" : "; only in train: " + join(only_train),
            only_test.empty() ? "" : "; only in test: " + join(only_test));
}

/// A seeded subset of `limit` images of `d` (all when limit is 0 or >= its size), in file order.
Dataset seeded_subset(Dataset d, int64_t limit, uint64_t seed) {
  if (limit <= 0 || limit >= d.size()) return d;
  return d.subset(sorted_slice(random_permutation(d.size(), seed), 0, limit));
}

torch::Tensor index_tensor(const std::vector<int64_t>& indices) { return torch::tensor(indices, torch::kLong); }

std::string format_floats(const std::vector<float>& values) {
  std::ostringstream out;
  out.precision(4);
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  return out.str();
}

}  // namespace

bool has_val_files(const DataConfig& config) {
  if (config.path.empty() || !config.train_images.empty()) return false;
  const fs::path dir(config.path);
  for (const char* stem : {"val-images-idx3-ubyte", "val-labels-idx1-ubyte"}) {
    if (!fs::exists(dir / stem) && !fs::exists(dir / (std::string(stem) + ".gz"))) return false;
  }
  return true;
}

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
  SNAS_CHECK(test_size.is_null() || source == "imagefolder" || source == "auto",
             "test_size is only used with source 'imagefolder' (the others come with a test set), got source '",
             source, "'");
  SNAS_CHECK(content_hash.empty() || source == "glyphs", "content_hash is only used with source 'glyphs', got source '",
             source, "'");
  SNAS_CHECK(source != "glyphs" || !augment,
             "augment must be false for source 'glyphs' (its horizontal flip turns b into d; the renderer already "
             "jitters position), got true");
  if (source == "cifar10" || source == "cifar100" || source == "folder" || source == "imagefolder" ||
      source == "glyphs" || source == "auto") {
    SNAS_CHECK(!path.empty(), "path must name the dataset directory for source '", source,
               "', got an empty path");
  }
  if (source != "folder" && source != "imagefolder" && source != "auto") {
    const int64_t native = (source == "cifar10" || source == "cifar100") ? 3 : 1;  // glyphs: grey
    SNAS_CHECK(channels == 0 || channels == native, "channels must be 0 or ", native,
               " for source '", source, "' (only 'folder' and 'imagefolder' convert), got ", channels);
  }
}

bool is_split_size(const json& size) {
  if (size.is_number_integer()) return size.get<int64_t>() >= 0;
  if (!size.is_number_float()) return false;
  const double f = size.get<double>();
  return f > 0 && f < 1;
}

int64_t split_count(const json& size, int64_t total) {
  SNAS_CHECK(is_split_size(size), "a split size must be a count (an integer >= 0) or a fraction in (0, 1), got ",
             size.dump());
  if (size.is_number_integer()) return size.get<int64_t>();
  return std::llround(size.get<double>() * static_cast<double>(total));
}

void resolve_data_config(DataConfig& config, bool val_size_given) {
  if (config.source == "auto") {
    SNAS_CHECK(!config.path.empty(), "source 'auto' needs a path (--data PATH), got an empty path");
    const DataSourceInfo info = infer_data_source(config.path);
    SNAS_LOG(INFO) << info.describe(config.path);
    config.source = info.source;
  }
  const bool own = config.source == "idx" || config.source == "folder" || config.source == "imagefolder";
  if (own && !val_size_given) config.val_size = kDefaultSplitFraction;
  if ((config.source == "glyphs" || (config.source == "idx" && has_val_files(config))) && !val_size_given) {
    config.val_size = 0;
  }
  if (config.source == "glyphs") {
    SNAS_CHECK(!config.path.empty(), "source 'glyphs' needs the data set's directory (--data-path DIR, made by "
               "`sparsenas dataset glyphs --out DIR`), got an empty path");
    config.augment = false;
    // A config that names its data set's hash keeps it (load_splits then refuses other data);
    // an unresolved one takes the hash of the data set there now.
    const std::string hash = glyphs::read_glyphs_manifest(config.path).at("hash").get<std::string>();
    if (config.content_hash.empty()) config.content_hash = hash;
  }
  if (config.source == "imagefolder" && config.test_size.is_null()) config.test_size = kDefaultSplitFraction;
}

void to_json(json& j, const DataConfig& c) {
  j = config_fields::to_json(c);
  // Left out when unset, so that the JSON (and every stage hash) of the other sources is as it
  // was before imagefolder and glyphs.
  if (c.test_size.is_null()) j.erase("test_size");
  if (c.content_hash.empty()) j.erase("content_hash");
}

void from_json(const json& j, DataConfig& c) {
  config_fields::read(j, c, DataConfig::kName);
  // The split sizes are JSON-typed (a count or a fraction): check their type on reading, as the
  // typed fields are.
  for (const auto& [key, value] : {std::pair<const char*, const json*>{"val_size", &c.val_size}, {"test_size", &c.test_size}}) {
    SNAS_CHECK(is_split_size(*value) || (value->is_null() && std::string(key) == "test_size"), DataConfig::kName, ".",
               key, " must be a count (an integer >= 0) or a fraction in (0, 1), got ", value->dump());
  }
}

Splits load_splits(const DataConfig& config_in) {
  DataConfig config = config_in;
  resolve_data_config(config, /*val_size_given=*/true);
  config.validate();
  Dataset pool, val, test;
  if (config.source == "fashion-mnist" || config.source == "idx" || config.source == "glyphs") {
    const bool fashion = config.source == "fashion-mnist";
    const bool explicit_files = !config.train_images.empty();
    const fs::path dir = explicit_files        ? fs::path()
                         : config.path.empty() ? find_fashion_mnist()
                                               : fs::path(config.path);
    const auto file = [&](const std::string& explicit_path, const char* stem) {
      return explicit_files ? fs::path(explicit_path) : find_idx_file(dir, stem);
    };
    std::vector<std::string> names = fashion ? fashion_mnist_class_names() : std::vector<std::string>{};
    if (config.source == "glyphs") {
      const nlohmann::json manifest = glyphs::read_glyphs_manifest(dir);
      const std::string hash = manifest.at("hash").get<std::string>();
      SNAS_CHECK(config.content_hash.empty() || config.content_hash == hash, "data.content_hash: this run was made "
                 "with the glyphs data set ", config.content_hash, " but ", dir, " now holds ", hash,
                 " (regenerated with other packages or settings?): point --data-path at the original data set or "
                 "start a new run directory");
      SNAS_CHECK(glyphs::glyphs_content_hash(dir) == hash, "glyphs data set ", dir,
                 ": its IDX files do not match the hash in its manifest.json (modified or truncated): "
                 "regenerate it with `sparsenas dataset glyphs`");
      for (const auto& c : manifest.at("classes")) names.push_back(c.at("character").get<std::string>());
    }
    pool = load_idx(file(config.train_images, "train-images-idx3-ubyte"),
                    file(config.train_labels, "train-labels-idx1-ubyte"), names);
    test = load_idx(file(config.test_images, "t10k-images-idx3-ubyte"),
                    file(config.test_labels, "t10k-labels-idx1-ubyte"), names);
    if (!explicit_files && has_val_files(config)) {
      SNAS_CHECK(config.val_size.is_number_integer() && config.val_size.get<int64_t>() == 0, "val_size must be 0 for ", dir,
                 ": it holds its own validation split (val-images-idx3-ubyte), got ", config.val_size.dump());
      val = load_idx(file("", "val-images-idx3-ubyte"), file("", "val-labels-idx1-ubyte"), names);
    }
    if (!fashion && pool.class_names.size() != test.class_names.size()) {
      // Classes are inferred from the largest label, which may be absent from one split.
      auto& names_all =
          pool.num_classes() > test.num_classes() ? pool.class_names : test.class_names;
      pool.class_names = test.class_names = names_all;
    }
    if (val.size() > 0) val.class_names = pool.class_names;
  } else if (config.source == "cifar10" || config.source == "cifar100") {
    const int num_classes = config.source == "cifar10" ? 10 : 100;
    pool = load_cifar(config.path, num_classes, /*train=*/true);
    test = load_cifar(config.path, num_classes, /*train=*/false);
  } else if (config.source == "folder") {
    const int channels = config.channels == 0 ? 3 : static_cast<int>(config.channels);
    const int size = static_cast<int>(config.image_size);
    pool = load_image_folder(fs::path(config.path) / "train", size, channels);
    test = load_image_folder(fs::path(config.path) / "test", size, channels);
  } else {
    const int channels = config.channels == 0 ? 3 : static_cast<int>(config.channels);
    const Dataset all = load_image_folder(config.path, static_cast<int>(config.image_size), channels);
    const int64_t n = all.size();
    const int64_t val_count = split_count(config.val_size, n);
    const int64_t test_count = split_count(config.test_size.is_null() ? json(kDefaultSplitFraction) : config.test_size, n);
    const torch::Tensor labels = all.labels.contiguous();
    const std::vector<int64_t> label_values(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
    SplitIndices parts;
    try {
      parts = stratified_split(label_values, all.class_names, val_count, test_count, config.split_seed);
    } catch (const Error& e) {
      SNAS_FAIL("imagefolder ", fs::path(config.path), " (val_size ", config.val_size.dump(), ", test_size ",
                config.test_size.dump(), "): ", e.what());
    }
    pool = all.subset(index_tensor(parts.train));
    val = all.subset(index_tensor(parts.val));
    test = all.subset(index_tensor(parts.test));
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
    if (val.size() > 0) val.images = resize_images(val.images, config.image_size);
  }

  Splits splits;
  if (config.source == "imagefolder" || val.size() > 0) {
    splits.val = std::move(val);
    splits.train = seeded_subset(std::move(pool), config.train_limit, mix_seed(config.split_seed, kTrainStream));
  } else {
    const int64_t n = pool.size();
    const int64_t val_size = split_count(config.val_size, n);
    SNAS_CHECK(val_size < n, "val_size must be < the number of training images (", n, "), got ",
               config.val_size.dump(), " (a fraction such as 0.1 holds out a share of any data)");
    const std::vector<int64_t> order = random_permutation(n, mix_seed(config.split_seed, kSplitStream));
    int64_t train_end = n;
    if (config.train_limit > 0) train_end = std::min(n, val_size + config.train_limit);
    splits.val = val_size > 0 ? pool.subset(sorted_slice(order, 0, val_size)) : empty_like(pool);
    splits.train = pool.subset(sorted_slice(order, val_size, train_end));
  }
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
