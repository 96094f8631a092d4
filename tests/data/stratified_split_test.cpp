// Unit tests for src/sparsenas/data/stratified_split.h: per-class shares, determinism, errors.
#include "sparsenas/data/stratified_split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data/data_test_util.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;

/// Classes of 10, 20 and 30 items, interleaved so that positions and classes differ.
std::vector<int64_t> labels_10_20_30() {
  std::vector<int64_t> labels;
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < 10 * (c + 1); ++k) labels.push_back(c);
  std::vector<int64_t> interleaved;
  for (size_t i = 0; i < labels.size(); ++i) interleaved.push_back(labels[(i * 7) % labels.size()]);
  return interleaved;
}

std::vector<int64_t> per_class(const std::vector<int64_t>& part, const std::vector<int64_t>& labels) {
  std::vector<int64_t> counts(3, 0);
  for (const int64_t i : part) ++counts[labels[i]];
  return counts;
}

const std::vector<std::string> kNames = {"a", "b", "c"};

TEST(StratifiedSplitTest, SharesFollowTheClassSizes) {
  const std::vector<int64_t> labels = labels_10_20_30();
  // Worked by hand: val 6 of 60 = 10% of each class exactly; test 7: quotas 7*10/60 = 1.17,
  // 2.33, 3.5 -> floors 1, 2, 3 and the one left over to the largest remainder (class c).
  const SplitIndices s = stratified_split(labels, kNames, 6, 7, 1);
  EXPECT_EQ(per_class(s.val, labels), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(per_class(s.test, labels), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(per_class(s.train, labels), (std::vector<int64_t>{8, 16, 23}));
}

TEST(StratifiedSplitTest, PartsAreDisjointSortedAndCoverEverything) {
  const std::vector<int64_t> labels = labels_10_20_30();
  const SplitIndices s = stratified_split(labels, kNames, 12, 12, 3);
  std::set<int64_t> all;
  for (const auto* part : {&s.train, &s.val, &s.test}) {
    EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
    for (const int64_t i : *part) EXPECT_TRUE(all.insert(i).second) << "item " << i << " twice";
  }
  EXPECT_EQ(all.size(), labels.size());
  EXPECT_EQ(s.val.size(), 12u);
  EXPECT_EQ(s.test.size(), 12u);
}

TEST(StratifiedSplitTest, SameSeedSameSplitOtherSeedOtherSplit) {
  const std::vector<int64_t> labels = labels_10_20_30();
  const SplitIndices a = stratified_split(labels, kNames, 6, 6, 5);
  const SplitIndices b = stratified_split(labels, kNames, 6, 6, 5);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  const SplitIndices c = stratified_split(labels, kNames, 6, 6, 6);
  EXPECT_NE(a.val, c.val);
}

TEST(StratifiedSplitTest, ZeroCountsKeepEverythingForTraining) {
  const std::vector<int64_t> labels = labels_10_20_30();
  const SplitIndices s = stratified_split(labels, kNames, 0, 0, 0);
  EXPECT_TRUE(s.val.empty());
  EXPECT_TRUE(s.test.empty());
  EXPECT_EQ(s.train.size(), labels.size());
}

TEST(StratifiedSplitTest, AClassLeftWithoutTrainingItemsIsNamed) {
  // Class "a" has one item; a 50% test share gives it 0.5 of one, rounded up as the lower class
  // of two equal remainders: its only item.
  const std::vector<int64_t> labels = {1, 1, 1, 1, 1, 0};
  const std::string msg = error_message([&] { stratified_split(labels, {"a", "b"}, 0, 3, 0); });
  EXPECT_THAT(msg, HasSubstr("class 'a' has 1 image(s)"));
  EXPECT_THAT(error_message([&] { stratified_split(labels, {"a", "b"}, 3, 3, 0); }),
              HasSubstr("must be fewer than the 6 images"));
}

}  // namespace
}  // namespace sparsenas::data
