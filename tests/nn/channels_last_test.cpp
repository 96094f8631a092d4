// Unit tests for src/sparsenas/nn/channels_last.h: re-striding a supernet, ambiguous shapes included.
#include "sparsenas/nn/channels_last.h"

#include <gtest/gtest.h>

#include "sparsenas/nn/supernet.h"
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

class ChannelsLastTest : public test::SeededTest {};

TEST_F(ChannelsLastTest, ChannelsLastGivesTheSameOutputs) {
  const SearchSpace space = small_space("ofa-mbv3", 28);
  Supernet net(space);
  randomize_state(*net);
  net->eval();
  Rng rng(2);
  const Arch arch = space.sample(rng);
  net->set_active(arch);
  const auto x = torch::randn({2, 1, 28, 28});
  torch::NoGradGuard no_grad;
  const auto nchw = net->forward(x);
  EXPECT_FALSE(is_channels_last(net->stem_weight));
  to_channels_last(*net);
  EXPECT_TRUE(is_channels_last(net->stem_weight));
  EXPECT_TRUE(is_channels_last(net->blocks[0]->dw_weight));  // really re-strided, even the ambiguous [16,1,3,3]
  EXPECT_LT(max_diff(net->forward(x), nchw), 1e-5);
}

}  // namespace
}  // namespace sparsenas::nn
