// Unit tests for src/sparsenas/data/batch_loader.h: order, resumability, normalisation,
// augmentation.
#include "sparsenas/data/batch_loader.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/data_test_util.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

/// `n` images of [channels, h, w]; image i is filled with the value i (so it can be identified
/// after normalisation), labels i % 3.
Dataset numbered_dataset(int64_t n, int64_t channels = 1, int64_t h = 4, int64_t w = 4) {
  Dataset d;
  d.images =
      torch::arange(n, torch::kByte).view({n, 1, 1, 1}).expand({n, channels, h, w}).contiguous();
  d.labels = torch::arange(n, torch::kLong).remainder(3);
  d.class_names = {"a", "b", "c"};
  return d;
}

/// Random pixels, for the augmentation tests.
Dataset random_dataset(int64_t n, int64_t channels, int64_t h, int64_t w) {
  Dataset d;
  auto gen = at::detail::createCPUGenerator(123);
  d.images = torch::randint(0, 256, {n, channels, h, w}, gen, torch::kByte);
  d.labels = torch::randint(0, 2, {n}, gen, torch::kLong);
  d.class_names = {"a", "b"};
  return d;
}

/// With mean 0 and std 1/255 the normalised value is the pixel value itself.
BatchLoader identity_loader(const Dataset& d, int64_t batch_size, bool shuffle, bool drop_last,
                            bool augment = false, uint64_t seed = 5) {
  return BatchLoader(d, batch_size, shuffle, drop_last, augment, {0.0f}, {1.0f / 255.0f}, seed);
}

/// Image ids of a batch served by an identity loader over `numbered_dataset`.
std::vector<int64_t> batch_ids(const Batch& batch) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < batch.images.size(0); ++i)
    out.push_back(std::lround(batch.images[i][0][0][0].item<float>()));
  return out;
}

TEST(BatchLoaderTest, NumBatches) {
  const Dataset d = numbered_dataset(10);
  EXPECT_EQ(identity_loader(d, 3, false, /*drop_last=*/false).num_batches(), 4);
  EXPECT_EQ(identity_loader(d, 3, false, /*drop_last=*/true).num_batches(), 3);
  EXPECT_EQ(identity_loader(d, 10, false, true).num_batches(), 1);
  EXPECT_EQ(identity_loader(d, 11, false, true).num_batches(), 0);
  EXPECT_EQ(identity_loader(d, 3, false, false).get(3).images.size(0), 1);
}

TEST(BatchLoaderTest, SequentialWithoutShuffle) {
  const Dataset d = numbered_dataset(10);
  BatchLoader loader = identity_loader(d, 4, /*shuffle=*/false, false);
  EXPECT_EQ(batch_ids(loader.get(0)), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(batch_ids(loader.get(2)), (std::vector<int64_t>{8, 9}));
  loader.start_epoch(4);
  EXPECT_EQ(batch_ids(loader.get(1)), (std::vector<int64_t>{4, 5, 6, 7}));
}

TEST(BatchLoaderTest, ShuffleCoversEveryImageOncePerEpoch) {
  const Dataset d = numbered_dataset(50);
  BatchLoader loader = identity_loader(d, 8, /*shuffle=*/true, /*drop_last=*/false);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    std::vector<int64_t> seen;
    for (int64_t i = 0; i < loader.num_batches(); ++i) {
      const Batch batch = loader.get(i);
      const std::vector<int64_t> ids = batch_ids(batch);
      EXPECT_EQ(ids, loader.batch_indices(i));
      for (size_t k = 0; k < ids.size(); ++k)
        EXPECT_EQ(batch.labels[static_cast<int64_t>(k)].item<int64_t>(), ids[k] % 3);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    EXPECT_FALSE(std::is_sorted(seen.begin(), seen.end()));
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 50u);
    for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(seen[i], i);
  }
}

TEST(BatchLoaderTest, OrderDependsOnlyOnSeedAndEpoch) {
  const Dataset d = numbered_dataset(50);
  BatchLoader a = identity_loader(d, 50, true, false, false, /*seed=*/9);
  BatchLoader b = identity_loader(d, 50, true, false, false, /*seed=*/9);
  a.start_epoch(3);
  b.start_epoch(1);
  b.start_epoch(3);
  EXPECT_EQ(a.batch_indices(0), b.batch_indices(0));
  b.start_epoch(4);
  EXPECT_NE(a.batch_indices(0), b.batch_indices(0));
  BatchLoader c = identity_loader(d, 50, true, false, false, /*seed=*/10);
  c.start_epoch(3);
  EXPECT_NE(a.batch_indices(0), c.batch_indices(0));
}

TEST(BatchLoaderTest, GetEqualsSequentialIteration) {
  const Dataset d = random_dataset(37, 3, 6, 6);
  BatchLoader sequential(d, 5, true, false, /*augment=*/true, {0.4f, 0.5f, 0.6f},
                         {0.2f, 0.25f, 0.3f}, 77);
  sequential.start_epoch(2);
  std::vector<Batch> batches;
  for (int64_t i = 0; i < sequential.num_batches(); ++i) batches.push_back(sequential.get(i));

  // A fresh loader, as after resuming from a checkpoint in the middle of epoch 2.
  BatchLoader resumed(d, 5, true, false, true, {0.4f, 0.5f, 0.6f}, {0.2f, 0.25f, 0.3f}, 77);
  resumed.start_epoch(2);
  for (const int64_t i : {5, 2, 7, 0}) {
    const Batch batch = resumed.get(i);
    EXPECT_TRUE(torch::equal(batch.images, batches[i].images)) << "batch " << i;
    EXPECT_TRUE(torch::equal(batch.labels, batches[i].labels)) << "batch " << i;
  }
}

TEST(BatchLoaderTest, ToFloatNormalizedMatchesFormula) {
  const Dataset d = random_dataset(4, 3, 5, 7);
  const std::vector<float> mean = {0.1f, 0.5f, 0.9f}, std = {0.3f, 0.2f, 0.1f};
  const torch::Tensor out = to_float_normalized(d.images, mean, std);
  EXPECT_EQ(out.scalar_type(), torch::kFloat);
  EXPECT_EQ(out.sizes(), d.images.sizes());
  EXPECT_TRUE(out.is_contiguous(torch::MemoryFormat::ChannelsLast));
  const torch::Tensor expected =
      (d.images.to(torch::kDouble) / 255.0 - torch::tensor({0.1, 0.5, 0.9}).view({1, 3, 1, 1})) /
      torch::tensor({0.3, 0.2, 0.1}).view({1, 3, 1, 1});
  EXPECT_TRUE(torch::allclose(out.to(torch::kDouble), expected, 1e-6, 1e-6));
  // A single mean/std value applies to every channel.
  EXPECT_TRUE(torch::allclose(to_float_normalized(d.images, {0.5f}, {0.25f}),
                              (d.images.to(torch::kFloat) / 255 - 0.5) / 0.25, 1e-6, 1e-6));
}

TEST(BatchLoaderTest, BatchWithoutAugmentEqualsToFloatNormalized) {
  const Dataset d = random_dataset(20, 3, 5, 5);
  const std::vector<float> mean = {0.2f, 0.3f, 0.4f}, std = {0.5f, 0.6f, 0.7f};
  BatchLoader loader(d, 6, true, true, /*augment=*/false, mean, std, 1);
  const std::vector<int64_t> indices = loader.batch_indices(1);
  const Batch batch = loader.get(1);
  EXPECT_TRUE(batch.images.is_contiguous(torch::MemoryFormat::ChannelsLast));
  const torch::Tensor expected = to_float_normalized(
      d.images.index_select(0, torch::tensor(indices, torch::kLong)), mean, std);
  EXPECT_TRUE(torch::equal(batch.images, expected));
}

/// Whether `image` ([C, H, W] float) is a crop of `source` padded by 2 (pad value = `pad`), maybe
/// flipped: tries all 5 x 5 x 2 possibilities.
bool is_crop_of(const torch::Tensor& image, const torch::Tensor& source, const torch::Tensor& pad) {
  const int64_t h = source.size(1), w = source.size(2);
  torch::Tensor padded = pad.view({-1, 1, 1}).expand({source.size(0), h + 4, w + 4}).clone();
  padded.slice(1, 2, 2 + h).slice(2, 2, 2 + w).copy_(source);
  for (int64_t oy = 0; oy <= 4; ++oy) {
    for (int64_t ox = 0; ox <= 4; ++ox) {
      const torch::Tensor crop = padded.slice(1, oy, oy + h).slice(2, ox, ox + w);
      if (torch::equal(image, crop) || torch::equal(image, crop.flip({2}))) return true;
    }
  }
  return false;
}

TEST(BatchLoaderTest, AugmentationIsAPaddedCropOrFlipAndReproducible) {
  const Dataset d = random_dataset(40, 3, 6, 7);
  const std::vector<float> mean = {0.4f, 0.5f, 0.6f}, std = {0.2f, 0.25f, 0.3f};
  BatchLoader loader(d, 8, true, false, /*augment=*/true, mean, std, 3);
  const torch::Tensor reference = to_float_normalized(d.images, mean, std);
  const torch::Tensor pad =
      to_float_normalized(torch::zeros({1, 3, 1, 1}, torch::kByte), mean, std).flatten();
  int64_t unchanged = 0;
  for (int64_t i = 0; i < loader.num_batches(); ++i) {
    const Batch batch = loader.get(i);
    EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{batch.labels.size(0), 3, 6, 7}));
    EXPECT_TRUE(batch.images.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(batch.images, loader.get(i).images));  // reproducible
    const std::vector<int64_t> indices = loader.batch_indices(i);
    for (size_t k = 0; k < indices.size(); ++k) {
      const torch::Tensor image = batch.images[static_cast<int64_t>(k)];
      EXPECT_TRUE(is_crop_of(image, reference[indices[k]], pad)) << "batch " << i << " image " << k;
      unchanged += torch::equal(image, reference[indices[k]]) ? 1 : 0;
    }
  }
  EXPECT_LT(unchanged, 10);  // 1 in 50 images keeps offset 0 and no flip

  // Another epoch draws other crops.
  BatchLoader unshuffled(d, 40, false, false, true, mean, std, 3);
  const Batch e0 = unshuffled.get(0);
  unshuffled.start_epoch(1);
  EXPECT_FALSE(torch::equal(e0.images, unshuffled.get(0).images));
}

TEST(BatchLoaderTest, ShardsAreTheRowsOfTheWholeBatch) {
  // A data-parallel rank builds only its rows; they equal the whole batch's, augmentation included,
  // for any split (3 ranks of a 10-image last batch here).
  const Dataset d = random_dataset(42, 3, 6, 7);
  BatchLoader loader(d, 16, true, /*drop_last=*/false, /*augment=*/true, {0.4f, 0.5f, 0.6f}, {0.2f, 0.25f, 0.3f}, 5);
  loader.start_epoch(2);
  for (int64_t i = 0; i < loader.num_batches(); ++i) {
    const Batch whole = loader.get(i);
    const int64_t n = loader.batch_length(i);
    ASSERT_EQ(n, whole.labels.size(0));
    for (int ranks : {1, 2, 3}) {
      std::vector<torch::Tensor> images, labels;
      for (int r = 0; r < ranks; ++r) {
        const int64_t first = n * r / ranks, count = n * (r + 1) / ranks - first;
        const Batch shard = loader.get(i, first, count);
        EXPECT_TRUE(shard.images.is_contiguous(torch::MemoryFormat::ChannelsLast));
        images.push_back(shard.images);
        labels.push_back(shard.labels);
      }
      EXPECT_TRUE(torch::equal(torch::cat(images), whole.images)) << "batch " << i << ", " << ranks << " ranks";
      EXPECT_TRUE(torch::equal(torch::cat(labels), whole.labels)) << "batch " << i << ", " << ranks << " ranks";
    }
  }
  EXPECT_EQ(loader.batch_length(2), 10);
  EXPECT_THROW(loader.get(0, 10, 7), sparsenas::Error);
}

TEST(BatchLoaderTest, GrayscaleAugmentationMatchesReference) {
  // The single-channel path has its own inner loop; check it the same way.
  const Dataset d = random_dataset(30, 1, 5, 6);
  BatchLoader loader(d, 30, false, false, true, {0.3f}, {0.2f}, 11);
  const torch::Tensor reference = to_float_normalized(d.images, {0.3f}, {0.2f});
  const torch::Tensor pad = torch::full({1}, (0.0f - 0.3f) / 0.2f);
  const Batch batch = loader.get(0);
  for (int64_t k = 0; k < 30; ++k)
    EXPECT_TRUE(is_crop_of(batch.images[k], reference[k], pad)) << "image " << k;
}

TEST(BatchLoaderTest, EmptyDatasetHasNoBatches) {
  const Dataset d = numbered_dataset(5).subset(torch::empty({0}, torch::kLong));
  EXPECT_EQ(identity_loader(d, 4, true, false).num_batches(), 0);
}

TEST(BatchLoaderTest, RejectsBadArguments) {
  const Dataset d = numbered_dataset(10);
  EXPECT_THAT(error_message([&] { identity_loader(d, 0, true, false); }),
              HasSubstr("batch_size must be >= 1, got 0"));
  EXPECT_THAT(error_message([&] {
                BatchLoader(d, 2, true, false, false, {0.1f, 0.2f}, {1.0f}, 0);
              }),
              HasSubstr("mean must have one value per channel (1) or a single value, got 2"));
  EXPECT_THAT(error_message([&] { BatchLoader(d, 2, true, false, false, {0.1f}, {0.0f}, 0); }),
              HasSubstr("std must be > 0"));
  EXPECT_THAT(error_message([&] { identity_loader(d, 4, true, false).get(3); }),
              HasSubstr("batch index must be in [0, 3), got 3"));
  EXPECT_THAT(error_message([&] { identity_loader(d, 4, true, false).start_epoch(-1); }),
              HasSubstr("epoch must be >= 0, got -1"));
}

}  // namespace
}  // namespace sparsenas::data
