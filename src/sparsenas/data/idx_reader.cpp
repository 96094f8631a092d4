#include "sparsenas/data/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "sparsenas/core/error.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kIdxImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr uint32_t kIdxWideLabelsMagic = 0x00000B01;  // 16-bit big-endian, 1 dimension (> 256 classes)

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
    const uint32_t magic = reader.read_u32("magic", 0);
    const bool wide = magic == kIdxWideLabelsMagic;
    if (!wide) check_magic(labels_path, kIdxLabelsMagic, magic);
    const int64_t n = reader.read_u32("number of labels", 4);
    SNAS_CHECK(n == dataset.images.size(0), "image/label count mismatch: ", images_path, " has ",
               dataset.images.size(0), " images but ", labels_path, " has ", n, " labels");
    const int64_t width = wide ? 2 : 1;
    torch::Tensor raw = torch::empty({n, width}, torch::kByte);
    read_payload(reader, labels_path, raw.data_ptr(), n * width, 8,
                 std::to_string(n) + (wide ? " 16-bit labels" : " labels"));
    raw = raw.to(torch::kLong);
    dataset.labels = wide ? (raw.select(1, 0) * 256 + raw.select(1, 1)).contiguous() : raw.select(1, 0).contiguous();
    SNAS_CHECK(!wide || dataset.labels.max().item<int64_t>() < 32768, "IDX labels file ", labels_path,
               ": 16-bit labels must be in [0, 32768), got a larger one");
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

fs::path find_idx_file(const fs::path& dir, const std::string& stem) {
  const fs::path gz = dir / (stem + ".gz");
  if (fs::exists(gz)) return gz;
  const fs::path plain = dir / stem;
  if (fs::exists(plain)) return plain;
  SNAS_FAIL("IDX file not found: neither ", gz, " nor ", plain, " exists");
}

}  // namespace sparsenas::data
