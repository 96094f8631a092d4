#include "sparsenas/data/dataset.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"

namespace sparsenas::data {

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

}  // namespace sparsenas::data
