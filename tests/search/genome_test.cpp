// Unit tests for src/sparsenas/search/genome.h
#include "sparsenas/search/genome.h"

#include <gtest/gtest.h>

#include "search/search_test_util.h"

namespace sparsenas::search::detail {
namespace {

using space::SearchSpace;

TEST(GenomeTest, CompoundOperatorsKeepCompofaMembership) {
  const SearchSpace space = SearchSpace::from_name("compofa");
  Rng rng(3);
  for (int i = 0; i < 2000; ++i) {
    const Arch a = space.sample(rng), b = space.sample(rng);
    const Arch m = mutate(space, a, 0.5, rng);
    const Arch c = crossover(space, a, b, rng);
    for (const Arch& x : {m, c}) {
      ASSERT_NO_THROW(space.validate(x)) << x.to_string();
      EXPECT_EQ(space.canonical(x), x);
    }
    // Crossover copies each stage's depth together with its expand ratios from one parent.
    for (int s = 0; s < space.num_stages(); ++s) {
      const Arch& from = c.depths[s] == a.depths[s] ? a : b;
      ASSERT_TRUE(c.depths[s] == a.depths[s] || c.depths[s] == b.depths[s]);
      for (int j = 0; j < c.depths[s]; ++j) {
        const int slot = space.stage_offset(s) + j;
        EXPECT_EQ(c.expand_ratios[slot], from.expand_ratios[slot]);
      }
    }
  }
}

TEST(GenomeTest, OperatorsOnAnElasticSpace) {
  const SearchSpace space = test::fashion_space();
  Rng rng(9);
  int changed = 0;
  for (int i = 0; i < 1000; ++i) {
    const Arch a = space.sample(rng), b = space.sample(rng);
    EXPECT_EQ(mutate(space, a, 0.0, rng), a);
    EXPECT_EQ(crossover(space, a, a, rng), a);
    const Arch m = mutate(space, a, 0.1, rng);
    const Arch c = crossover(space, a, b, rng);
    changed += m != a;
    for (const Arch& x : {m, c}) EXPECT_EQ(space.canonical(x), x);
    // Every active gene of a crossover child comes from a parent in which it is active.
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (!space.is_active(c, slot)) continue;
      const bool in_a = space.is_active(a, slot), in_b = space.is_active(b, slot);
      EXPECT_TRUE((in_a && c.kernel_sizes[slot] == a.kernel_sizes[slot]) ||
                  (in_b && c.kernel_sizes[slot] == b.kernel_sizes[slot]));
      EXPECT_TRUE((in_a && c.expand_ratios[slot] == a.expand_ratios[slot]) ||
                  (in_b && c.expand_ratios[slot] == b.expand_ratios[slot]));
    }
  }
  // p = 0.1 over ~15 active slots and 5 stages changes most networks (OFA: 1 - 0.9^20 ~ 0.88).
  EXPECT_GT(changed, 700);
}

}  // namespace
}  // namespace sparsenas::search::detail
