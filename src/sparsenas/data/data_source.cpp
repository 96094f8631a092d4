#include "sparsenas/data/data_source.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "sparsenas/core/error.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

namespace {

constexpr const char* kIdxStems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!is_hidden(entry.path())) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

long long count_images(const fs::path& dir) {
  long long n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && !is_hidden(entry.path()) && is_image_file_name(entry.path())) ++n;
  }
  return n;
}

/// Sorted class folders of `dir` and their image count.
std::vector<std::string> class_folders(const fs::path& dir, long long& images) {
  std::vector<std::string> names;
  images = 0;
  for (const fs::path& p : sorted_entries(dir)) {
    if (!fs::is_directory(p)) continue;
    names.push_back(p.filename().string());
    images += count_images(p);
  }
  return names;
}

std::string existing_idx(const fs::path& dir, const char* stem) {
  for (const std::string& name : {std::string(stem) + ".gz", std::string(stem)}) {
    if (fs::is_regular_file(dir / name)) return name;
  }
  return "";
}

/// The item count of an IDX file's header (plain or gzip); -1 when unreadable.
long long idx_count(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return -1;
  unsigned char header[8];
  const int got = gzread(file, header, sizeof header);
  gzclose(file);
  if (got != 8) return -1;
  return (static_cast<long long>(header[4]) << 24) | (header[5] << 16) | (header[6] << 8) | header[7];
}

/// The CIFAR directory at or inside `dir` holding every file of `names`; empty when none does.
fs::path cifar_dir(const fs::path& dir, const std::vector<std::string>& names, const char* nested) {
  for (const fs::path& d : {dir, dir / nested}) {
    bool all = true;
    for (const auto& name : names) all = all && fs::is_regular_file(d / name);
    if (all) return d;
  }
  return {};
}

long long records(const fs::path& dir, const std::vector<std::string>& names, long long record) {
  long long n = 0;
  for (const auto& name : names) n += static_cast<long long>(fs::file_size(dir / name)) / record;
  return n;
}

std::string list(const std::vector<std::string>& items, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max_items) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

}  // namespace

bool is_image_file_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

std::string DataSourceInfo::describe(const fs::path& path) const {
  std::ostringstream out;
  out << "data: " << path.string() << " holds ";
  if (source == "folder") {
    out << "train/ and test/ class folders (source folder): " << class_names.size() << " classes ("
        << list(class_names, 8) << "), " << train_images << " training and " << test_images
        << " test images";
  } else if (source == "imagefolder") {
    out << "one folder per class (source imagefolder): " << class_names.size() << " classes ("
        << list(class_names, 8) << "), " << images
        << " images, split into train, validation and test by data.split_seed";
  } else {
    out << (source == "idx" ? "IDX files" : source == "glyphs" ? "a glyphs data set" : source == "cifar10" ? "CIFAR-10 binaries" : "CIFAR-100 binaries")
        << " (source " << source << "): " << train_images << " training and " << test_images << " test images";
  }
  return out.str();
}

DataSourceInfo infer_data_source(const fs::path& path) {
  SNAS_CHECK(fs::exists(path), "data path ", path, " does not exist");
  SNAS_CHECK(fs::is_directory(path), "data path ", path,
             " is not a directory (expected a dataset folder: see `sparsenas train --help`, --data)");
  DataSourceInfo info;
  if (fs::is_regular_file(path / "manifest.json") && fs::exists(path / "train-images-idx3-ubyte")) {
    info.source = "glyphs";
    info.train_images = idx_count(path / "train-images-idx3-ubyte");
    info.test_images = idx_count(path / "t10k-images-idx3-ubyte");
    info.images = info.train_images + info.test_images;
    return info;
  }
  if (fs::is_directory(path / "train") && fs::is_directory(path / "test")) {
    info.source = "folder";
    info.class_names = class_folders(path / "train", info.train_images);
    class_folders(path / "test", info.test_images);
    info.images = info.train_images + info.test_images;
    return info;
  }
  std::vector<std::string> idx;
  for (const char* stem : kIdxStems) {
    const std::string name = existing_idx(path, stem);
    if (!name.empty()) idx.push_back(name);
  }
  if (idx.size() == 4) {
    info.source = "idx";
    info.train_images = idx_count(path / idx[0]);
    info.test_images = idx_count(path / idx[2]);
    info.images = info.train_images + info.test_images;
    return info;
  }
  const std::vector<std::string> c10_train = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                              "data_batch_4.bin", "data_batch_5.bin"};
  if (const fs::path d = cifar_dir(path, {"data_batch_1.bin", "test_batch.bin"}, "cifar-10-batches-bin");
      !d.empty()) {
    info.source = "cifar10";
    std::vector<std::string> present;
    for (const auto& name : c10_train) {
      if (fs::is_regular_file(d / name)) present.push_back(name);
    }
    info.train_images = records(d, present, 3073);
    info.test_images = records(d, {"test_batch.bin"}, 3073);
    info.images = info.train_images + info.test_images;
    return info;
  }
  if (const fs::path d = cifar_dir(path, {"train.bin", "test.bin"}, "cifar-100-binary"); !d.empty()) {
    info.source = "cifar100";
    info.train_images = records(d, {"train.bin"}, 3074);
    info.test_images = records(d, {"test.bin"}, 3074);
    info.images = info.train_images + info.test_images;
    return info;
  }
  info.class_names = class_folders(path, info.images);
  if (!info.class_names.empty() && info.images > 0) {
    info.source = "imagefolder";
    return info;
  }
  std::vector<std::string> seen;
  for (const fs::path& p : sorted_entries(path)) seen.push_back(p.filename().string() + (fs::is_directory(p) ? "/" : ""));
  SNAS_FAIL("data path ", path,
            " is none of the known kinds; looked for: train/ and test/ sub-folders (folder), the four IDX "
            "files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte (plain or .gz; idx), CIFAR-10 data_batch_1.bin..data_batch_5.bin and "
            "test_batch.bin (cifar10), CIFAR-100 train.bin and test.bin (cifar100), sub-folders holding "
            ".png/.jpg/.jpeg/.bmp images, one per class (imagefolder); found: ",
            seen.empty() ? std::string("nothing") : list(seen, 10));
}

}  // namespace sparsenas::data
