#include "sparsenas/data/batch_loader.h"

#include <algorithm>
#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"

namespace sparsenas::data {
namespace {

constexpr int64_t kPad = 2;  // random-crop padding in pixels
constexpr uint64_t kShuffleStream = 0x5eed5;
constexpr uint64_t kAugmentStream = 0xa0c;

/// LUT[c * 256 + v] = (v / 255 - mean[c]) / std[c]. Normalising through a table makes the
/// float conversion one load per pixel, and makes the loader's output bit-identical to
/// `to_float_normalized`.
std::vector<float> make_lut(int64_t channels, const std::vector<float>& mean,
                            const std::vector<float>& std) {
  const auto per_channel = [&](const std::vector<float>& v, const char* name) {
    SNAS_CHECK(static_cast<int64_t>(v.size()) == channels || v.size() == 1, name,
               " must have one value per channel (", channels, ") or a single value, got ",
               v.size(), " values");
  };
  per_channel(mean, "mean");
  per_channel(std, "std");
  std::vector<float> lut(static_cast<size_t>(channels) * 256);
  for (int64_t c = 0; c < channels; ++c) {
    const double m = mean[mean.size() == 1 ? 0 : c];
    const double s = std[std.size() == 1 ? 0 : c];
    SNAS_CHECK(s > 0, "std must be > 0 for every channel, got ", s, " for channel ", c);
    for (int v = 0; v < 256; ++v) lut[c * 256 + v] = static_cast<float>((v / 255.0 - m) / s);
  }
  return lut;
}

/// Writes one image into its channels_last slot: out[y, x, c] = lut[c][padded(y + dy, sx + dx)]
/// with sx = flip ? W - 1 - x : x, where pixels outside the image read as 0.
/// `src` is planar [C, H, W]; `dst` is interleaved [H, W, C].
void write_image(const uint8_t* src, float* dst, int64_t channels, int64_t height, int64_t width,
                 const float* lut, int64_t dy, int64_t dx, bool flip) {
  const int64_t plane = height * width;
  // Output columns whose source column is inside the image (see the sx formula above).
  const int64_t x_begin = std::max<int64_t>(0, flip ? dx : -dx);
  const int64_t x_end = std::min<int64_t>(width, flip ? width + dx : width - dx);
  for (int64_t y = 0; y < height; ++y) {
    float* out_row = dst + y * width * channels;
    const int64_t sy = y + dy;
    if (sy < 0 || sy >= height) {
      for (int64_t x = 0; x < width; ++x)
        for (int64_t c = 0; c < channels; ++c) out_row[x * channels + c] = lut[c * 256];
      continue;
    }
    for (int64_t x = 0; x < x_begin; ++x)
      for (int64_t c = 0; c < channels; ++c) out_row[x * channels + c] = lut[c * 256];
    for (int64_t x = std::max(x_end, x_begin); x < width; ++x)
      for (int64_t c = 0; c < channels; ++c) out_row[x * channels + c] = lut[c * 256];
    if (channels == 1) {
      const uint8_t* row = src + sy * width;
      if (flip) {
        const uint8_t* base = row + (width - 1) + dx;
        for (int64_t x = x_begin; x < x_end; ++x) out_row[x] = lut[base[-x]];
      } else {
        const uint8_t* base = row + dx;
        for (int64_t x = x_begin; x < x_end; ++x) out_row[x] = lut[base[x]];
      }
    } else {
      for (int64_t c = 0; c < channels; ++c) {
        const uint8_t* row = src + c * plane + sy * width;
        const float* table = lut + c * 256;
        for (int64_t x = x_begin; x < x_end; ++x) {
          const int64_t sx = (flip ? width - 1 - x : x) + dx;
          out_row[x * channels + c] = table[row[sx]];
        }
      }
    }
  }
}

torch::Tensor empty_channels_last(int64_t n, int64_t c, int64_t h, int64_t w) {
  return torch::empty(
      {n, c, h, w},
      torch::TensorOptions().dtype(torch::kFloat).memory_format(torch::MemoryFormat::ChannelsLast));
}

}  // namespace

torch::Tensor to_float_normalized(const torch::Tensor& uint8_images, const std::vector<float>& mean,
                                  const std::vector<float>& std) {
  SNAS_CHECK(uint8_images.dim() == 4 && uint8_images.scalar_type() == torch::kByte,
             "to_float_normalized expects uint8 [N, C, H, W], got ", uint8_images.scalar_type(),
             " ", uint8_images.sizes());
  const torch::Tensor src = uint8_images.contiguous();
  const int64_t n = src.size(0), c = src.size(1), h = src.size(2), w = src.size(3);
  const std::vector<float> lut = make_lut(c, mean, std);
  torch::Tensor out = empty_channels_last(n, c, h, w);
  const uint8_t* in = src.data_ptr<uint8_t>();
  float* dst = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    write_image(in + i * c * h * w, dst + i * c * h * w, c, h, w, lut.data(), 0, 0, false);
  }
  return out;
}

BatchLoader::BatchLoader(Dataset dataset, int64_t batch_size, bool shuffle, bool drop_last,
                         bool augment, std::vector<float> mean, std::vector<float> std,
                         uint64_t seed)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      augment_(augment),
      seed_(seed) {
  SNAS_CHECK(batch_size >= 1, "batch_size must be >= 1, got ", batch_size);
  SNAS_CHECK(dataset_.images.defined() && dataset_.images.dim() == 4,
             "BatchLoader needs a dataset with uint8 [N, C, H, W] images");
  if (dataset_.size() > 0) dataset_.validate("BatchLoader dataset");
  SNAS_CHECK(dataset_.images.is_contiguous() && dataset_.images.scalar_type() == torch::kByte,
             "BatchLoader dataset images must be contiguous uint8, got ",
             dataset_.images.scalar_type());
  lut_ = make_lut(dataset_.channels(), mean, std);
  start_epoch(0);
}

int64_t BatchLoader::num_batches() const {
  const int64_t n = dataset_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

void BatchLoader::start_epoch(int64_t epoch) {
  SNAS_CHECK(epoch >= 0, "epoch must be >= 0, got ", epoch);
  epoch_ = epoch;
  if (shuffle_) {
    order_ = random_permutation(dataset_.size(),
                                mix_seed(seed_, static_cast<uint64_t>(epoch), kShuffleStream));
  }
}

std::vector<int64_t> BatchLoader::batch_indices(int64_t index) const {
  SNAS_CHECK(index >= 0 && index < num_batches(), "batch index must be in [0, ", num_batches(),
             "), got ", index);
  const int64_t begin = index * batch_size_;
  const int64_t end = std::min(begin + batch_size_, dataset_.size());
  std::vector<int64_t> indices(static_cast<size_t>(end - begin));
  for (int64_t i = begin; i < end; ++i) indices[i - begin] = shuffle_ ? order_[i] : i;
  return indices;
}

int64_t BatchLoader::batch_length(int64_t index) const {
  SNAS_CHECK(index >= 0 && index < num_batches(), "batch index must be in [0, ", num_batches(),
             "), got ", index);
  return std::min(batch_size_, dataset_.size() - index * batch_size_);
}

Batch BatchLoader::get(int64_t index) const { return get(index, 0, batch_length(index)); }

Batch BatchLoader::get(int64_t index, int64_t first, int64_t count) const {
  const int64_t length = batch_length(index);
  SNAS_CHECK(first >= 0 && count >= 0 && first + count <= length, "rows [", first, ", ", first + count,
             ") of batch ", index, " are not inside its ", length, " rows");
  std::vector<int64_t> indices = batch_indices(index);
  indices = std::vector<int64_t>(indices.begin() + first, indices.begin() + first + count);
  const auto b = static_cast<int64_t>(indices.size());
  const int64_t c = dataset_.channels(), h = dataset_.height(), w = dataset_.width();
  const int64_t image_elems = c * h * w;

  Batch batch;
  batch.images = empty_channels_last(b, c, h, w);
  batch.labels = torch::empty({b}, torch::kLong);
  const uint8_t* src = dataset_.images.data_ptr<uint8_t>();
  const int64_t* labels = dataset_.labels.data_ptr<int64_t>();
  float* dst = batch.images.data_ptr<float>();
  int64_t* dst_labels = batch.labels.data_ptr<int64_t>();

  Rng rng(
      mix_seed(seed_, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(index), kAugmentStream));
  // Row j of the batch takes the j-th draw of the batch's stream, whichever rows are served.
  if (augment_) rng.discard(static_cast<unsigned long long>(first));
  for (int64_t i = 0; i < b; ++i) {
    int64_t dy = 0, dx = 0;
    bool flip = false;
    if (augment_) {
      // One draw per image: 5 x 5 crop offsets and a coin (modulo bias ~1e-18, irrelevant).
      const uint64_t r = rng();
      dy = static_cast<int64_t>(r % (2 * kPad + 1)) - kPad;
      dx = static_cast<int64_t>((r >> 16) % (2 * kPad + 1)) - kPad;
      flip = ((r >> 32) & 1) != 0;
    }
    write_image(src + indices[i] * image_elems, dst + i * image_elems, c, h, w, lut_.data(), dy, dx,
                flip);
    dst_labels[i] = labels[indices[i]];
  }
  return batch;
}

}  // namespace sparsenas::data
