// Unit tests for src/sparsenas/space/cost_model.cpp (SearchSpace::macs, macs_unchecked, block_macs, params)
#include <gtest/gtest.h>

#include "sparsenas/core/error.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::space {
namespace {

// Hand count of the smallest network of a one-stage space at 8x8, 1 channel, 10 classes.
TEST(CostModelTest, MacsOfASmallNetworkByHand) {
  SpaceSpec spec = builtin_spec("ofa-mbv3");
  spec.stages.resize(1);
  spec.stages[0] = {};
  spec.stages[0].width = 24;
  spec.stages[0].stride = 2;
  spec.stages[0].se = true;
  spec.stages[0].depths = {1};
  spec.stages[0].kernels = {3};
  spec.stages[0].expands = {3};
  spec.in_channels = 1;
  spec.num_classes = 10;
  spec.resolution = 8;
  const SearchSpace space(spec);
  const Arch a = space.min_arch();
  // stem 1->16 k3 s2 at 4x4; first block dw 16 k3 at 4x4 + pw 16->16 at 4x4;
  // block: expand 16->48 at 4x4, dw 48 k3 s2 at 2x2, SE 48->16->48, project 48->24 at 2x2;
  // head: 24->960 at 2x2, 960->1280, 1280->10.
  const int64_t expected = 1 * 16 * 9 * 16 + 16 * 9 * 16 + 16 * 16 * 16 + 16 * 48 * 16 + 48 * 9 * 4 +
                           2 * 48 * 16 + 48 * 24 * 4 + 24 * 960 * 4 + 960 * 1280 + 1280 * 10;
  EXPECT_EQ(space.macs(a), expected);
  const int64_t params = (16 * 9 + 32) + (16 * 9 + 32) + (16 * 16 + 32) + (16 * 48 + 96) + (48 * 9 + 96) +
                         (48 * 16 + 16 + 16 * 48 + 48) + (48 * 24 + 48) + (24 * 960 + 1920) + 960 * 1280 +
                         1280 * 10 + 10;
  EXPECT_EQ(space.params(a), params);
}

TEST(CostModelTest, MacsRangeAt224MatchesOfaScale) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  // reference/ofa_compofa.md: largest ~566M, smallest ~121M at 224x224x3, 1000 classes.
  EXPECT_NEAR(space.macs(space.max_arch()) / 1e6, 566, 1.0);
  EXPECT_NEAR(space.macs(space.min_arch()) / 1e6, 121, 1.0);
}

TEST(CostModelTest, MacsUncheckedEqualsMacs) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    for (int resolution : {28, 224}) {
      SpaceOptions options;
      options.resolution = resolution;
      const SearchSpace space = SearchSpace::from_name(name, options);
      Rng rng(1);
      for (int i = 0; i < 200; ++i) {
        Arch a = space.sample(rng);
        EXPECT_EQ(space.macs_unchecked(a), space.macs(a));
      }
    }
  }
  // MACs are a constant plus one block_macs term per active slot.
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Rng rng(2);
  for (int i = 0; i < 100; ++i) {
    const Arch a = space.sample(rng);
    Arch b = a;
    const int slot = space.stage_offset(i % space.num_stages());  // always active
    b.kernel_sizes[slot] = b.kernel_sizes[slot] == 3 ? 7 : 3;
    b.expand_ratios[slot] = b.expand_ratios[slot] == 6 ? 4 : 6;
    EXPECT_EQ(space.macs(b) - space.macs(a),
              space.block_macs(slot, b.kernel_sizes[slot], b.expand_ratios[slot]) -
                  space.block_macs(slot, a.kernel_sizes[slot], a.expand_ratios[slot]));
  }
  EXPECT_THROW(space.block_macs(space.num_slots(), 3, 3), Error);
  Arch bad = space.max_arch();
  bad.depths.pop_back();
  EXPECT_THROW(space.macs_unchecked(bad), Error);
}

}  // namespace
}  // namespace sparsenas::space
