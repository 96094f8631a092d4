// Unit tests for src/sparsenas/predictor/features.h
#include "sparsenas/predictor/features.h"
#include "support/error_of.h"

#include <gtest/gtest.h>

#include <functional>
#include <numeric>

#include "sparsenas/core/error.h"

namespace sparsenas::predictor {
namespace {

using space::Arch;
using space::SearchSpace;

using test::error_of;

// ofa-mbv3: 20 slots, k in {3,5,7}, e in {3,4,6}; kernels at [0, 60), expands at [60, 120).
constexpr int kSlots = 20;
int kernel_feature(int slot, int choice) { return 3 * slot + choice; }
int expand_feature(int slot, int choice) { return 60 + 3 * slot + choice; }

TEST(FeaturesTest, OfaMbv3HasOfaDimension) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  EXPECT_EQ(feature_dim(space), 120);  // OFA's 121 minus its one-slot resolution one-hot
  EXPECT_EQ(encode(space, space.max_arch()).size(), 120u);
  EXPECT_EQ(feature_name(space, 0), "ks[0]=3");
  EXPECT_EQ(feature_name(space, 59), "ks[19]=7");
  EXPECT_EQ(feature_name(space, 60), "e[0]=3");
  EXPECT_EQ(feature_name(space, 119), "e[19]=6");
  EXPECT_NE(error_of([&] { feature_name(space, 120); }).find("[0, 120)"), std::string::npos);
}

TEST(FeaturesTest, MaxArchSetsLargestChoiceOfEverySlot) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  const std::vector<float> x = encode(space, space.max_arch());
  for (int slot = 0; slot < kSlots; ++slot) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(x[kernel_feature(slot, c)], c == 2 ? 1.0f : 0.0f) << "slot " << slot;
      EXPECT_EQ(x[expand_feature(slot, c)], c == 2 ? 1.0f : 0.0f) << "slot " << slot;
    }
  }
  EXPECT_EQ(std::accumulate(x.begin(), x.end(), 0.0f), 40.0f);
}

TEST(FeaturesTest, MinArchSetsTwoSlotsPerStageAndZerosTheRest) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  const std::vector<float> x = encode(space, space.min_arch());
  for (int slot = 0; slot < kSlots; ++slot) {
    const bool active = slot % 4 < 2;  // depth 2 of 4 slots in every stage
    for (int c = 0; c < 3; ++c) {
      const float expected = active && c == 0 ? 1.0f : 0.0f;
      EXPECT_EQ(x[kernel_feature(slot, c)], expected) << "slot " << slot << " choice " << c;
      EXPECT_EQ(x[expand_feature(slot, c)], expected) << "slot " << slot << " choice " << c;
    }
  }
  EXPECT_EQ(std::accumulate(x.begin(), x.end(), 0.0f), 20.0f);
}

TEST(FeaturesTest, InactiveSlotIsZeroWhateverItHolds) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Arch arch = space.max_arch();
  arch.depths[1] = 3;  // stage 1 (slots 4..7) drops its last slot 7
  arch.kernel_sizes[5] = 5;
  arch.expand_ratios[5] = 4;
  Arch other = arch;
  other.kernel_sizes[7] = 3;  // inactive: must not change the encoding
  other.expand_ratios[7] = 3;
  const std::vector<float> x = encode(space, arch);
  EXPECT_EQ(x, encode(space, other));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(x[kernel_feature(7, c)], 0.0f);
    EXPECT_EQ(x[expand_feature(7, c)], 0.0f);
  }
  EXPECT_EQ(x[kernel_feature(5, 1)], 1.0f);  // k = 5 is choice 1
  EXPECT_EQ(x[expand_feature(5, 1)], 1.0f);  // e = 4 is choice 1
  EXPECT_EQ(x[kernel_feature(5, 2)], 0.0f);
  EXPECT_EQ(x[kernel_feature(6, 2)], 1.0f);  // slot 6 still active
}

TEST(FeaturesTest, BatchIsRowMajorStackOfRows) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Rng rng(3);
  const std::vector<Arch> archs = {space.sample(rng), space.min_arch(), space.sample(rng)};
  const std::vector<float> m = encode_batch(space, archs);
  ASSERT_EQ(m.size(), 3u * 120u);
  for (size_t i = 0; i < archs.size(); ++i) {
    const std::vector<float> row = encode(space, archs[i]);
    EXPECT_TRUE(std::equal(row.begin(), row.end(), m.begin() + i * 120)) << "row " << i;
  }
  EXPECT_TRUE(encode_batch(space, {}).empty());
}

TEST(FeaturesTest, RejectsNonMemberNamingTheField) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Arch arch = space.max_arch();
  arch.expand_ratios[2] = 5;
  EXPECT_NE(error_of([&] { encode(space, arch); }).find("arch.e[2] must be one of"),
            std::string::npos);
  const std::string batch_error = error_of([&] { encode_batch(space, {space.max_arch(), arch}); });
  EXPECT_NE(batch_error.find("architecture 1 of the batch"), std::string::npos) << batch_error;
  arch.expand_ratios.pop_back();
  EXPECT_NE(error_of([&] { encode(space, arch); }).find("arch.e must have 20 entries"),
            std::string::npos);
}

TEST(FeaturesTest, CoupledSpaceEncodesItsOwnChoices) {
  const SearchSpace space = SearchSpace::from_name("compofa");
  // One fixed kernel per stage (one-hot of size 1) and the coupled expands {3, 4, 6}.
  EXPECT_EQ(feature_dim(space), 20 * 1 + 20 * 3);
  const std::vector<float> x = encode(space, space.max_arch());
  EXPECT_EQ(std::accumulate(x.begin(), x.end(), 0.0f), 40.0f);
}

}  // namespace
}  // namespace sparsenas::predictor
