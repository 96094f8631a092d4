#include "sparsenas/data/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/image_decode.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Dataset

int64_t Dataset::size() const { return images.defined() ? images.size(0) : 0; }
int64_t Dataset::channels() const { return images.size(1); }
int64_t Dataset::height() const { return images.size(2); }
int64_t Dataset::width() const { return images.size(3); }
int64_t Dataset::num_classes() const { return static_cast<int64_t>(class_names.size()); }

Dataset Dataset::subset(const torch::Tensor& indices) const {
  SNAS_CHECK(indices.dim() == 1 && indices.scalar_type() == torch::kLong,
             "subset indices must be an int64 [K] tensor, got ", indices.scalar_type(), " ",
             indices.sizes());
  const int64_t n = size();
  if (indices.numel() > 0) {
    const int64_t low = indices.min().item<int64_t>();
    const int64_t high = indices.max().item<int64_t>();
    SNAS_CHECK(low >= 0 && high < n, "subset index out of range: expected indices in [0, ", n,
               "), got ", (low < 0 ? low : high));
  }
  Dataset out;
  out.images = images.index_select(0, indices).contiguous();
  out.labels = labels.index_select(0, indices).contiguous();
  out.class_names = class_names;
  return out;
}

void Dataset::validate(const std::string& source) const {
  SNAS_CHECK(images.defined() && labels.defined(), source, ": images or labels tensor missing");
  SNAS_CHECK(images.dim() == 4 && images.scalar_type() == torch::kByte && images.is_contiguous(),
             source, ": images must be a contiguous uint8 [N, C, H, W] tensor, got ",
             images.scalar_type(), " ", images.sizes());
  SNAS_CHECK(labels.dim() == 1 && labels.scalar_type() == torch::kLong, source,
             ": labels must be an int64 [N] tensor, got ", labels.scalar_type(), " ",
             labels.sizes());
  SNAS_CHECK(labels.size(0) == images.size(0), source,
             ": image/label count mismatch: ", images.size(0), " images but ", labels.size(0),
             " labels");
  SNAS_CHECK(size() > 0, source, ": dataset has no images, expected at least 1");
  SNAS_CHECK(num_classes() >= 2, source, ": dataset has ", num_classes(),
             " class(es), expected at least 2");
  const int64_t low = labels.min().item<int64_t>();
  const int64_t high = labels.max().item<int64_t>();
  SNAS_CHECK(low >= 0 && high < num_classes(), source, ": label out of range: expected [0, ",
             num_classes(), "), got ", (low < 0 ? low : high));
}

ChannelStats channel_stats(const Dataset& dataset) {
  SNAS_CHECK(dataset.size() > 0, "channel_stats: dataset has no images");
  const torch::Tensor images = dataset.images.contiguous();
  const int64_t n = images.size(0), c = images.size(1), plane = images.size(2) * images.size(3);
  std::vector<std::array<int64_t, 256>> hist(c);
  for (auto& h : hist) h.fill(0);
  const uint8_t* p = images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      auto& h = hist[ch];
      for (int64_t k = 0; k < plane; ++k) ++h[*p++];
    }
  }
  ChannelStats stats;
  for (int64_t ch = 0; ch < c; ++ch) {
    double count = 0, sum = 0, sum_sq = 0;
    for (int v = 0; v < 256; ++v) {
      const double x = v / 255.0, w = static_cast<double>(hist[ch][v]);
      count += w;
      sum += w * x;
      sum_sq += w * x * x;
    }
    const double mean = sum / count;
    stats.mean.push_back(static_cast<float>(mean));
    stats.std.push_back(static_cast<float>(std::sqrt(std::max(0.0, sum_sq / count - mean * mean))));
  }
  return stats;
}

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed) {
  SNAS_CHECK(n >= 0, "permutation size must be >= 0, got ", n);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  // std::shuffle and std::uniform_int_distribution differ between standard libraries; this
  // does not, so a split seed means the same split everywhere.
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto bound = static_cast<uint64_t>(i + 1);
    const uint64_t threshold = (0 - bound) % bound;  // rejects the biased low range
    uint64_t r = rng();
    while (r < threshold) r = rng();
    std::swap(order[i], order[r % bound]);
  }
  return order;
}

torch::Tensor resize_images(const torch::Tensor& images, int64_t size) {
  SNAS_CHECK(size > 0, "image_size must be > 0 to resize, got ", size);
  SNAS_CHECK(images.dim() == 4, "resize_images expects [N, C, H, W], got ", images.sizes());
  if (images.size(2) == size && images.size(3) == size) return images;
  torch::Tensor out = torch::empty({images.size(0), images.size(1), size, size}, images.options());
  constexpr int64_t kChunk = 4096;  // bounds the float copy to a few hundred MB
  for (int64_t start = 0; start < images.size(0); start += kChunk) {
    const int64_t end = std::min(start + kChunk, images.size(0));
    const torch::Tensor chunk = images.slice(0, start, end).to(torch::kFloat);
    const torch::Tensor resized =
        at::upsample_bilinear2d(chunk, {size, size}, /*align_corners=*/false);
    out.slice(0, start, end).copy_(resized.round().clamp(0, 255).to(torch::kByte));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IDX (MNIST / Fashion-MNIST)

namespace {

constexpr uint32_t kIdxImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension

std::string hex32(uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08X", value);
  return buffer;
}

/// Reads a gzip or plain file through zlib (gzread passes plain files through unchanged).
class GzReader {
 public:
  explicit GzReader(const fs::path& path) : path_(path) {
    SNAS_CHECK(fs::exists(path), "IDX file not found: ", path);
    SNAS_CHECK(fs::is_regular_file(path), "IDX path is not a regular file: ", path);
    file_ = gzopen(path.c_str(), "rb");
    SNAS_CHECK(file_ != nullptr, "cannot open IDX file ", path);
    gzbuffer(file_, 1 << 17);
  }
  ~GzReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  /// Reads up to `n` bytes; returns how many were read (fewer only at end of data or on a
  /// corrupt stream, in which case `error()` says why).
  int64_t read(void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    int64_t total = 0;
    while (total < n) {
      const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - total, 1 << 30));
      const int got = gzread(file_, out + total, chunk);
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        error_ = message ? message : "read error";
        break;
      }
      if (got == 0) break;
      total += got;
    }
    return total;
  }

  /// Empty, or zlib's description of why the last read stopped early.
  std::string error_note() const { return error_.empty() ? "" : " (zlib: " + error_ + ")"; }

  /// Reads a big-endian uint32 or fails naming `field`.
  uint32_t read_u32(const char* field, int64_t offset) {
    uint8_t b[4];
    const int64_t got = read(b, 4);
    SNAS_CHECK(got == 4, "IDX file ", path_, " is truncated: expected at least ", offset + 4,
               " bytes to read the header field '", field, "', got ", offset + got, error_note());
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

 private:
  fs::path path_;
  gzFile file_ = nullptr;
  std::string error_;
};

void check_magic(const fs::path& path, uint32_t expected, uint32_t actual) {
  if (actual == expected) return;
  std::string hint;
  if (expected == kIdxImagesMagic && actual == kIdxLabelsMagic) {
    hint = " (this is an IDX labels file; are the images and labels paths swapped?)";
  } else if (expected == kIdxLabelsMagic && actual == kIdxImagesMagic) {
    hint = " (this is an IDX images file; are the images and labels paths swapped?)";
  }
  SNAS_FAIL("IDX file ", path, ": wrong magic number: expected ", hex32(expected), " (",
            expected == kIdxImagesMagic ? "uint8 images, 3 dims" : "uint8 labels, 1 dim", "), got ",
            hex32(actual), hint);
}

/// Reads exactly `bytes` payload bytes into `dst` and checks that nothing follows them.
void read_payload(GzReader& reader, const fs::path& path, void* dst, int64_t bytes,
                  int64_t header_bytes, const std::string& what) {
  const int64_t got = reader.read(dst, bytes);
  SNAS_CHECK(got == bytes, "IDX file ", path, " is truncated: header says ", what, ", so expected ",
             header_bytes + bytes, " bytes, got ", header_bytes + got, reader.error_note());
  uint8_t extra = 0;
  SNAS_CHECK(reader.read(&extra, 1) == 0, "IDX file ", path, " is too long: header says ", what,
             ", so expected exactly ", header_bytes + bytes, " bytes, got more");
}

}  // namespace

Dataset load_idx(const fs::path& images_path, const fs::path& labels_path,
                 const std::vector<std::string>& class_names) {
  Dataset dataset;
  {
    GzReader reader(images_path);
    check_magic(images_path, kIdxImagesMagic, reader.read_u32("magic", 0));
    const int64_t n = reader.read_u32("number of images", 4);
    const int64_t h = reader.read_u32("rows", 8);
    const int64_t w = reader.read_u32("columns", 12);
    SNAS_CHECK(h > 0 && w > 0 && h <= 65536 && w <= 65536, "IDX file ", images_path,
               ": image size must be in 1..65536, got ", h, "x", w);
    SNAS_CHECK(n <= (int64_t{1} << 40) / (h * w), "IDX file ", images_path,
               ": implausible header: ", n, " images of ", h, "x", w);
    dataset.images = torch::empty({n, 1, h, w}, torch::kByte);
    read_payload(reader, images_path, dataset.images.data_ptr(), n * h * w, 16,
                 std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w));
  }
  {
    GzReader reader(labels_path);
    check_magic(labels_path, kIdxLabelsMagic, reader.read_u32("magic", 0));
    const int64_t n = reader.read_u32("number of labels", 4);
    SNAS_CHECK(n == dataset.images.size(0), "image/label count mismatch: ", images_path, " has ",
               dataset.images.size(0), " images but ", labels_path, " has ", n, " labels");
    torch::Tensor raw = torch::empty({n}, torch::kByte);
    read_payload(reader, labels_path, raw.data_ptr(), n, 8, std::to_string(n) + " labels");
    dataset.labels = raw.to(torch::kLong);
  }
  SNAS_CHECK(dataset.size() > 0, "IDX file ", images_path,
             ": dataset has no images (header says 0)");
  const int64_t max_label = dataset.labels.max().item<int64_t>();
  if (class_names.empty()) {
    for (int64_t k = 0; k <= max_label; ++k) dataset.class_names.push_back(std::to_string(k));
  } else {
    const auto num_classes = static_cast<int64_t>(class_names.size());
    if (max_label >= num_classes) {
      const int64_t index = (dataset.labels >= num_classes).nonzero()[0][0].item<int64_t>();
      SNAS_FAIL("IDX labels file ", labels_path, ": label out of range at index ", index,
                ": expected a label in [0, ", num_classes, "), got ",
                dataset.labels[index].item<int64_t>());
    }
    dataset.class_names = class_names;
  }
  dataset.validate("IDX files " + images_path.string() + ", " + labels_path.string());
  return dataset;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};
  return kNames;
}

fs::path find_idx_file(const fs::path& dir, const std::string& stem) {
  const fs::path gz = dir / (stem + ".gz");
  if (fs::exists(gz)) return gz;
  const fs::path plain = dir / stem;
  if (fs::exists(plain)) return plain;
  SNAS_FAIL("IDX file not found: neither ", gz, " nor ", plain, " exists");
}

fs::path find_fashion_mnist() {
  static const char* const kStems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  const char* env = std::getenv("SNAS_FASHION_MNIST_DIR");
  const bool from_env = env != nullptr && *env != '\0';
  const fs::path dir = from_env ? fs::path(env) : fs::path("/usr/share/datasets/fashion-mnist");
  for (const char* stem : kStems) {
    const bool found = fs::exists(dir / (std::string(stem) + ".gz")) || fs::exists(dir / stem);
    if (found) continue;
    if (from_env) {
      SNAS_FAIL("SNAS_FASHION_MNIST_DIR=", dir.string(), " does not hold Fashion-MNIST: missing ",
                stem, ".gz (or ", stem, ")");
    }
    SNAS_FAIL("Fashion-MNIST not found: missing ", (dir / stem).string(),
              ".gz. Install it with `apt-get install dataset-fashion-mnist`, or set "
              "SNAS_FASHION_MNIST_DIR to a directory holding the four IDX files");
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// CIFAR binary

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

// ---------------------------------------------------------------------------------------------
// Image folder

namespace {

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

}  // namespace

Dataset load_image_folder(const fs::path& dir, int image_size, int channels) {
  SNAS_CHECK(channels == 1 || channels == 3, "image folder channels must be 1 or 3, got ",
             channels);
  SNAS_CHECK(image_size >= 0, "image_size must be >= 0 (0 = native size), got ", image_size);
  SNAS_CHECK(fs::is_directory(dir), "image folder not found or not a directory: ", dir);

  Dataset dataset;
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && !is_hidden(entry.path())) class_dirs.push_back(entry.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  SNAS_CHECK(class_dirs.size() >= 2, "image folder ", dir,
             ": expected at least 2 class sub-folders, got ", class_dirs.size());

  std::vector<std::pair<fs::path, int64_t>> files;  // (image, label)
  for (size_t k = 0; k < class_dirs.size(); ++k) {
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(class_dirs[k])) {
      if (entry.is_regular_file() && !is_hidden(entry.path()) && has_image_extension(entry.path()))
        images.push_back(entry.path());
    }
    SNAS_CHECK(!images.empty(), "image folder class ", class_dirs[k],
               " has no images (expected .png, .jpg, .jpeg or .bmp files)");
    std::sort(images.begin(), images.end());
    for (auto& image : images) files.emplace_back(std::move(image), static_cast<int64_t>(k));
    dataset.class_names.push_back(class_dirs[k].filename().string());
  }

  const auto n = static_cast<int64_t>(files.size());
  dataset.labels = torch::empty({n}, torch::kLong);
  int64_t height = 0, width = 0;
  for (int64_t i = 0; i < n; ++i) {
    const detail::DecodedImage image = detail::decode_image(files[i].first, channels, image_size);
    if (i == 0) {
      height = image.height;
      width = image.width;
      dataset.images = torch::empty({n, channels, height, width}, torch::kByte);
    }
    SNAS_CHECK(image.height == height && image.width == width, "image ", files[i].first,
               ": size must match the first image ", files[0].first, " (", width, "x", height,
               "), got ", image.width, "x", image.height, "; set image_size to resize all images");
    // Interleaved [H, W, C] -> planar [C, H, W].
    uint8_t* out = dataset.images.data_ptr<uint8_t>() + i * channels * height * width;
    const int64_t plane = height * width;
    for (int64_t p = 0; p < plane; ++p) {
      for (int64_t c = 0; c < channels; ++c) out[c * plane + p] = image.pixels[p * channels + c];
    }
    dataset.labels.data_ptr<int64_t>()[i] = files[i].second;
  }
  dataset.validate("image folder " + dir.string());
  return dataset;
}

}  // namespace sparsenas::data
