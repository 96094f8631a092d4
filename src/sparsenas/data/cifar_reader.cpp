#include "sparsenas/data/cifar_reader.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <string>

#include "sparsenas/core/error.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

/// Non-empty, trimmed lines of `path`, which must hold exactly `expected` names.
std::vector<std::string> read_class_names(const fs::path& path, int expected) {
  std::ifstream in(path);
  SNAS_CHECK(in.good(), "cannot read class names file ", path);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty()) names.push_back(line);
  }
  SNAS_CHECK(static_cast<int>(names.size()) == expected, "class names file ", path, ": expected ",
             expected, " non-empty lines (one per class), got ", names.size());
  return names;
}

}  // namespace

Dataset load_cifar(const fs::path& dir_or_file, int num_classes, bool train) {
  SNAS_CHECK(num_classes == 10 || num_classes == 100, "CIFAR num_classes must be 10 or 100, got ",
             num_classes);
  const bool cifar10 = num_classes == 10;
  const std::string name = cifar10 ? "CIFAR-10" : "CIFAR-100";
  SNAS_CHECK(fs::exists(dir_or_file), name, " file or directory not found: ", dir_or_file);

  std::vector<fs::path> files;
  fs::path meta_dir;
  if (fs::is_directory(dir_or_file)) {
    std::vector<std::string> stems;
    if (cifar10 && train) {
      for (int i = 1; i <= 5; ++i) stems.push_back("data_batch_" + std::to_string(i) + ".bin");
    } else if (cifar10) {
      stems = {"test_batch.bin"};
    } else {
      stems = {train ? "train.bin" : "test.bin"};
    }
    const fs::path nested = dir_or_file / (cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary");
    meta_dir =
        fs::exists(dir_or_file / stems[0]) || !fs::exists(nested / stems[0]) ? dir_or_file : nested;
    for (const auto& stem : stems) {
      SNAS_CHECK(fs::exists(meta_dir / stem), name, " directory ", dir_or_file, " has no ", stem,
                 " (looked in ", dir_or_file, " and ", nested, ")");
      files.push_back(meta_dir / stem);
    }
  } else {
    files.push_back(dir_or_file);
    meta_dir = dir_or_file.parent_path();
  }

  const int64_t label_bytes = cifar10 ? 1 : 2;
  constexpr int64_t kPixels = 3 * 32 * 32;
  const int64_t record = label_bytes + kPixels;
  int64_t total = 0;
  std::vector<int64_t> counts;
  for (const auto& file : files) {
    const auto bytes = static_cast<int64_t>(fs::file_size(file));
    SNAS_CHECK(bytes % record == 0, name, " file ", file,
               ": size must be a multiple of the record size ", record, " bytes (", label_bytes,
               " label byte(s) + ", kPixels, " pixel bytes), got ", bytes, " bytes");
    counts.push_back(bytes / record);
    total += bytes / record;
  }
  SNAS_CHECK(total > 0, name, " file ", files[0], ": dataset has no images (file is empty)");

  Dataset dataset;
  dataset.images = torch::empty({total, 3, 32, 32}, torch::kByte);
  dataset.labels = torch::empty({total}, torch::kLong);
  uint8_t* images = dataset.images.data_ptr<uint8_t>();
  int64_t* labels = dataset.labels.data_ptr<int64_t>();
  std::vector<uint8_t> buffer;
  int64_t row = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    buffer.resize(static_cast<size_t>(counts[f] * record));
    std::ifstream in(files[f], std::ios::binary);
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    SNAS_CHECK(in.gcount() == static_cast<std::streamsize>(buffer.size()), "cannot read ", name,
               " file ", files[f], ": expected ", buffer.size(), " bytes, got ", in.gcount());
    for (int64_t r = 0; r < counts[f]; ++r, ++row) {
      const uint8_t* rec = buffer.data() + r * record;
      const int label = rec[label_bytes - 1];  // CIFAR-100: byte 0 is coarse, byte 1 fine
      SNAS_CHECK(label < num_classes, name, " file ", files[f], ": label out of range in record ",
                 r, ": expected a label in [0, ", num_classes, "), got ", label);
      labels[row] = label;
      std::memcpy(images + row * kPixels, rec + label_bytes, kPixels);  // already [3, 32, 32]
    }
  }

  const fs::path names_file = meta_dir / (cifar10 ? "batches.meta.txt" : "fine_label_names.txt");
  if (fs::exists(names_file)) {
    dataset.class_names = read_class_names(names_file, num_classes);
  } else if (cifar10) {
    dataset.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                           "dog",      "frog",       "horse", "ship", "truck"};
  } else {
    for (int k = 0; k < num_classes; ++k) dataset.class_names.push_back(std::to_string(k));
  }
  dataset.validate(name + " " + files[0].string());
  return dataset;
}

}  // namespace sparsenas::data
