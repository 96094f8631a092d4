// Unit tests for src/sparsenas/nn/supernet.h: channel re-sort of the whole network, BN
// recalibration, and validation of the active architecture. The layers and extraction have their
// own tests (dynamic_batch_norm_test, elastic_block_test, extract_test, ...).
#include "sparsenas/nn/supernet.h"

#include <gtest/gtest.h>

#include "sparsenas/core/error.h"
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"
#include "support/tensor_compare.h"

namespace sparsenas::nn {
namespace {

using space::Arch;
using space::SearchSpace;

using test::randomize_state;
using test::small_space;

using test::max_diff;

class SupernetTest : public test::SeededTest {};

TEST_F(SupernetTest, ChannelResortKeepsTheFunctionAndOrdersImportance) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  randomize_state(*net);
  net->eval();
  const auto x = torch::randn({2, 1, 32, 32});
  torch::NoGradGuard no_grad;
  const auto before = net->forward(x);
  net->reorganize_channels(0);
  EXPECT_LT(max_diff(net->forward(x), before), 1e-5);  // max network: a pure permutation
  for (const auto& block : net->blocks) {
    const auto importance = block->project_weight.abs().sum({0, 2, 3});
    EXPECT_TRUE(torch::all(importance.slice(0, 0, -1) >= importance.slice(0, 1)).item<bool>());
  }
}

TEST_F(SupernetTest, RecalibrationWritesPlainAveragesOfBatchStatistics) {
  const SearchSpace space = small_space("ofa-mbv3", 16);
  Supernet net(space);
  net->eval();
  const std::vector<torch::Tensor> batches = {torch::randn({4, 1, 16, 16}), torch::randn({2, 1, 16, 16}) + 1.0};
  net->set_active(space.min_arch());
  net->begin_bn_recalibration();
  {
    torch::NoGradGuard no_grad;
    for (const auto& b : batches) net->forward(b);
  }
  net->end_bn_recalibration();
  // The stem BN sees conv(x) directly: recompute its statistics by hand.
  torch::Tensor mean = torch::zeros({16}), var = torch::zeros({16});
  for (const auto& b : batches) {
    const auto y = torch::conv2d(b, net->stem_weight, {}, 2, 1);
    const auto m = y.mean({0, 2, 3});
    mean += m * b.size(0);
    var += (y - m.view({1, -1, 1, 1})).pow(2).mean({0, 2, 3}) * b.size(0);
  }
  EXPECT_LT(max_diff(net->stem_bn->bn->running_mean, mean / 6), 1e-5);
  EXPECT_LT(max_diff(net->stem_bn->bn->running_var, var / 6), 1e-5);
  // Channels a smaller network did not use keep their old statistics.
  const auto& expand_bn = net->blocks[0]->expand_bn->bn;
  EXPECT_TRUE(torch::all(expand_bn->running_mean.narrow(0, 48, 48) == 0).item<bool>());
}

TEST_F(SupernetTest, RejectsArchitectureOutsideTheSpace) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  Arch arch = space.max_arch();
  arch.expand_ratios[2] = 5;
  EXPECT_THROW(net->set_active(arch), Error);
}

}  // namespace
}  // namespace sparsenas::nn
