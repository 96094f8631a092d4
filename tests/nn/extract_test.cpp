// Unit tests for src/sparsenas/nn/extract.cpp (SupernetImpl::extract): the extracted network
// against the supernet.
#include "sparsenas/nn/supernet.h"

#include <gtest/gtest.h>

#include "sparsenas/nn/static_net.h"
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"
#include "support/tensor_compare.h"

namespace sparsenas::nn {
namespace {

using space::Arch;
using space::SearchSpace;
using sparsenas::Rng;

using test::randomize_state;
using test::small_space;

using test::max_diff;

class ExtractTest : public test::SeededTest {};

// The central guarantee: for random architectures of every space, the extracted static network
// computes what the supernet computes (eval mode).
TEST_F(ExtractTest, ExtractedNetworkEqualsSupernet) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    const SearchSpace space = small_space(name, 32, 3);
    Supernet net(space, SupernetOptions{name.rfind("compofa", 0) != 0});  // CompOFA trains without the transform
    randomize_state(*net);
    net->eval();
    Rng rng(5);
    std::vector<Arch> archs = {space.max_arch(), space.min_arch()};
    for (int i = 0; i < 6; ++i) archs.push_back(space.sample(rng));
    const auto x = torch::randn({3, 3, 32, 32});
    for (const Arch& arch : archs) {
      net->set_active(arch);
      auto sub = net->extract(arch);
      torch::NoGradGuard no_grad;
      const auto expected = net->forward(x);
      const auto actual = sub->forward(x);
      EXPECT_LE(max_diff(expected, actual), 1e-5) << name << " " << arch.to_string();
      EXPECT_EQ(actual.sizes(), (std::vector<int64_t>{3, 10}));
    }
  }
}

}  // namespace
}  // namespace sparsenas::nn
