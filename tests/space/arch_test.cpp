// Unit tests for src/sparsenas/space/arch.h
#include "sparsenas/space/arch.h"

#include <gtest/gtest.h>

#include "sparsenas/space/search_space.h"

namespace sparsenas::space {
namespace {

TEST(ArchTest, JsonRoundTrip) {
  const SearchSpace space = SearchSpace::from_name("proxyless");
  Rng rng(11);
  const Arch a = space.sample(rng);
  EXPECT_EQ(arch_from_string(a.to_string()), a);
  EXPECT_EQ(a.to_string().substr(0, 7), "{\"ks\":[");
}

}  // namespace
}  // namespace sparsenas::space
