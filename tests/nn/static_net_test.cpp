// Unit tests for src/sparsenas/nn/static_net.h: analytic MACs and parameters against counts over
// the real module.
#include "sparsenas/nn/static_net.h"

#include <gtest/gtest.h>

#include "support/seeded_test.h"
#include "support/small_space.h"

namespace sparsenas::nn {
namespace {

using space::Arch;
using space::SearchSpace;
using sparsenas::Rng;

using test::small_space;

class StaticNetTest : public test::SeededTest {};

TEST_F(StaticNetTest, AnalyticMacsAndParamsEqualCountsOverRealModule) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    for (auto [resolution, channels] : {std::pair{28, 1}, std::pair{32, 3}, std::pair{64, 3}}) {
      const SearchSpace space = small_space(name, resolution, channels);
      Rng rng(9);
      std::vector<Arch> archs = {space.max_arch(), space.min_arch()};
      for (int i = 0; i < 5; ++i) archs.push_back(space.sample(rng));
      for (const Arch& arch : archs) {
        StaticNet net(space, arch);
        EXPECT_EQ(net->count_macs(resolution, resolution), space.macs(arch)) << name << " " << arch.to_string();
        int64_t params = 0;
        for (const auto& p : net->parameters()) params += p.numel();
        EXPECT_EQ(params, space.params(arch)) << name << " " << arch.to_string();
      }
    }
  }
}

}  // namespace
}  // namespace sparsenas::nn
