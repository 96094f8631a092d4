// Unit tests for src/sparsenas/space/search_space.h
#include "sparsenas/space/search_space.h"

#include <gtest/gtest.h>

#include <set>

#include "sparsenas/core/error.h"
#include "support/error_of.h"

namespace sparsenas::space {
namespace {

using test::error_of;

TEST(MakeDivisibleTest, MatchesOfaRule) {
  EXPECT_EQ(make_divisible(16), 16);
  EXPECT_EQ(make_divisible(19.2), 24);  // 16 < 0.9 * 19.2, so one more step
  EXPECT_EQ(make_divisible(24 * 3), 72);
  EXPECT_EQ(make_divisible(4), 8);
  EXPECT_EQ(make_divisible(1536 * 1.0), 1536);
  EXPECT_EQ(make_divisible(36), 40);  // int(36 + 4) // 8 * 8 = 40
}

TEST(SearchSpaceTest, OfaMbv3LayoutMatchesReferenceWidths) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  ASSERT_EQ(space.num_stages(), 5);
  ASSERT_EQ(space.num_slots(), 20);
  EXPECT_EQ(space.stem_width(), 16);
  EXPECT_EQ(space.first_block_width(), 16);
  EXPECT_EQ(space.final_expand_width(), 960);
  EXPECT_EQ(space.feature_mix_width(), 1280);
  // reference/ofa_compofa.md 1.1 derived middle and SE widths.
  EXPECT_EQ(space.mid_channels(0, 3), 48);
  EXPECT_EQ(space.mid_channels(0, 6), 96);
  EXPECT_EQ(space.mid_channels(4, 4), 96);   // first block of stage 2 reads 24 channels
  EXPECT_EQ(space.mid_channels(5, 6), 240);  // 40 * 6
  EXPECT_EQ(space.se_channels(72), 24);
  EXPECT_EQ(space.se_channels(144), 40);
  EXPECT_EQ(space.se_channels(160), 40);
  EXPECT_EQ(space.se_channels(336), 88);
  EXPECT_EQ(space.se_channels(960), 240);
  EXPECT_FALSE(space.blocks()[0].residual);
  EXPECT_TRUE(space.blocks()[1].residual);
  EXPECT_FALSE(space.blocks()[12].residual);  // stage 4 first block: stride 1 but 80 -> 112
  EXPECT_EQ(space.blocks()[12].stride, 1);
}

TEST(SearchSpaceTest, WidthMultiplierFollowsMakeDivisible) {
  SpaceOptions options;
  options.width_mult = 1.2;
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3", options);
  EXPECT_EQ(space.stem_width(), 24);
  EXPECT_EQ(space.blocks()[0].out_channels, 32);
  EXPECT_EQ(space.blocks().back().out_channels, 192);
  EXPECT_EQ(space.final_expand_width(), 1152);
  EXPECT_EQ(space.feature_mix_width(), 1536);
}

TEST(SearchSpaceTest, CountsNetworksExactly) {
  const SearchSpace mbv3 = SearchSpace::from_name("ofa-mbv3");
  // ((3*3)^2 + (3*3)^3 + (3*3)^4)^5 = 7371^5
  unsigned __int128 expected = 1;
  for (int i = 0; i < 5; ++i) expected *= 7371;
  EXPECT_EQ(to_string_u128(mbv3.size()), to_string_u128(expected));
  EXPECT_EQ(to_string_u128(mbv3.size()), "21758655492572485851");
  EXPECT_EQ(to_string_u128(SearchSpace::from_name("compofa").size()), "243");
  EXPECT_EQ(to_string_u128(SearchSpace::from_name("proxyless").size()), to_string_u128(expected * 9));
}

TEST(SearchSpaceTest, EnumerationMatchesCountAndIsDistinct) {
  const SearchSpace compofa = SearchSpace::from_name("compofa");
  const std::vector<Arch> all = compofa.enumerate();
  ASSERT_EQ(all.size(), 243u);
  std::set<Arch> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), 243u);
  for (const Arch& a : all) EXPECT_EQ(compofa.canonical(a), a);
  // A small custom space: one stage, depths {1,2}, 2 kernels, 2 expands: 4 + 16 = 20 networks.
  SpaceSpec spec = builtin_spec("ofa-mbv3");
  spec.stages.resize(1);
  spec.stages[0].depths = {1, 2};
  spec.stages[0].kernels = {3, 5};
  spec.stages[0].expands = {3, 6};
  const SearchSpace tiny(spec);
  EXPECT_EQ(to_string_u128(tiny.size()), "20");
  const auto tiny_all = tiny.enumerate();
  EXPECT_EQ(std::set<Arch>(tiny_all.begin(), tiny_all.end()).size(), 20u);
}

TEST(SearchSpaceTest, CanonicalisesInactiveSlots) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Arch a = space.max_arch();
  a.depths[0] = 2;
  a.kernel_sizes[2] = 7;
  a.kernel_sizes[3] = 5;
  a.expand_ratios[3] = 4;
  Arch b = a;
  b.kernel_sizes[3] = 7;
  const Arch ca = space.canonical(a);
  EXPECT_EQ(ca, space.canonical(b));
  EXPECT_EQ(ca.kernel_sizes[2], 3);
  EXPECT_EQ(ca.expand_ratios[3], 3);
  EXPECT_EQ(ca.kernel_sizes[1], 7);  // active slot untouched
}

TEST(SearchSpaceTest, ValidationNamesFieldExpectedAndActual) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Arch a = space.max_arch();
  a.kernel_sizes[4] = 4;
  EXPECT_EQ(error_of([&] { space.validate(a); }),
            "arch.ks[4] must be one of {3, 5, 7} in space ofa-mbv3, got 4");
  a = space.max_arch();
  a.depths[1] = 5;
  EXPECT_EQ(error_of([&] { space.validate(a); }),
            "arch.d[1] must be one of {2, 3, 4} in space ofa-mbv3, got 5");
  a = space.max_arch();
  a.expand_ratios.pop_back();
  EXPECT_EQ(error_of([&] { space.validate(a); }),
            "arch.e must have 20 entries (one per block slot of space ofa-mbv3), got 19");
  const SearchSpace compofa = SearchSpace::from_name("compofa");
  Arch c = compofa.max_arch();
  c.expand_ratios[0] = 4;
  EXPECT_EQ(error_of([&] { compofa.validate(c); }),
            "arch.e[0] must be 6 (coupled to depth 4 in space compofa), got 4");
  EXPECT_NE(error_of([] { SearchSpace::from_name("resnet"); }).find("space must be one of"),
            std::string::npos);
  EXPECT_NE(error_of([&] { space.resolve("{\"ks\": [3]"); }).find("not valid JSON"), std::string::npos);
  EXPECT_EQ(error_of([&] { space.resolve("{\"ks\": [], \"e\": [], \"d\": [], \"r\": 1}"); }),
            "unknown architecture key \"r\" (valid keys: ks, e, d)");
}

TEST(SearchSpaceTest, SamplesAreMembersAndDistinct) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    const SearchSpace space = SearchSpace::from_name(name);
    Rng rng(7);
    const auto archs = space.sample_distinct(200, rng);
    std::set<Arch> unique(archs.begin(), archs.end());
    EXPECT_EQ(unique.size(), 200u) << name;
    for (const Arch& a : archs) EXPECT_EQ(space.canonical(a), a) << name;
    Rng rng2(7);
    EXPECT_EQ(space.sample_distinct(200, rng2), archs) << name;
  }
  const SearchSpace compofa = SearchSpace::from_name("compofa");
  Rng rng(1);
  EXPECT_EQ(compofa.sample_distinct(243, rng).size(), 243u);
  EXPECT_NE(error_of([&] { compofa.sample_distinct(244, rng); }).find("it has only 243"), std::string::npos);
}

TEST(SearchSpaceTest, SamplingCoversEveryChoice) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  Rng rng(3);
  std::set<int> kernels, expands, depths;
  for (int i = 0; i < 300; ++i) {
    const Arch a = space.sample(rng);
    kernels.insert(a.kernel_sizes[0]);
    expands.insert(a.expand_ratios[0]);
    depths.insert(a.depths[4]);
  }
  EXPECT_EQ(kernels, (std::set<int>{3, 5, 7}));
  EXPECT_EQ(expands, (std::set<int>{3, 4, 6}));
  EXPECT_EQ(depths, (std::set<int>{2, 3, 4}));
}

}  // namespace
}  // namespace sparsenas::space
