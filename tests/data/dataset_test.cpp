// Unit tests for src/sparsenas/data/dataset.h: the Dataset type and its helpers (subset,
// channel statistics, random permutation, resize).
#include "sparsenas/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "data/data_test_util.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;

Dataset small_dataset(int64_t n) {
  Dataset d;
  d.images = torch::arange(n, torch::kByte).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
  d.labels = torch::arange(n, torch::kLong).remainder(2);
  d.class_names = {"even", "odd"};
  return d;
}

TEST(DatasetTest, SubsetCopiesInOrder) {
  const Dataset d = small_dataset(6);
  const Dataset s = d.subset(torch::tensor({4, 1, 4}, torch::kLong));
  ASSERT_EQ(s.size(), 3);
  EXPECT_EQ(s.images[0][0][0][0].item<uint8_t>(), 4);
  EXPECT_EQ(s.images[1][0][1][1].item<uint8_t>(), 1);
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({0, 1, 0}, torch::kLong)));
  EXPECT_EQ(s.class_names, d.class_names);
  EXPECT_EQ(d.subset(torch::empty({0}, torch::kLong)).size(), 0);
  EXPECT_THAT(error_message([&] {
                d.subset(torch::tensor({0, 6}, torch::kLong));
              }),
              HasSubstr("expected indices in [0, 6), got 6"));
}

TEST(DatasetTest, ChannelStatsAreExact) {
  Dataset d;
  // Channel 0: {0, 255, 0, 255} -> mean 0.5, std 0.5. Channel 1: all 51 -> mean 0.2, std 0.
  d.images = torch::tensor({0, 255, 51, 51, 0, 255, 51, 51}, torch::kByte).view({2, 2, 1, 2});
  d.labels = torch::tensor({0, 1}, torch::kLong);
  d.class_names = {"a", "b"};
  const ChannelStats stats = channel_stats(d);
  ASSERT_EQ(stats.mean.size(), 2u);
  EXPECT_FLOAT_EQ(stats.mean[0], 0.5f);
  EXPECT_FLOAT_EQ(stats.std[0], 0.5f);
  EXPECT_FLOAT_EQ(stats.mean[1], 0.2f);
  EXPECT_NEAR(stats.std[1], 0.0f, 1e-6);
}

TEST(DatasetTest, RandomPermutationIsStable) {
  const std::vector<int64_t> a = random_permutation(1000, 7);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(a, random_permutation(1000, 7));
  EXPECT_NE(a, random_permutation(1000, 8));
  // Pinned so that a change of algorithm (which would change every data split) is noticed.
  EXPECT_EQ(random_permutation(8, 0), (std::vector<int64_t>{4, 5, 2, 0, 7, 1, 3, 6}));
}

TEST(DatasetTest, ResizeImages) {
  const torch::Tensor images = torch::full({2, 1, 4, 4}, 9, torch::kByte);
  const torch::Tensor out = resize_images(images, 7);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 1, 7, 7}));
  EXPECT_EQ(out.scalar_type(), torch::kByte);
  EXPECT_TRUE(out.eq(9).all().item<bool>());
  EXPECT_TRUE(resize_images(images, 4).is_same(images));
}

}  // namespace
}  // namespace sparsenas::data
