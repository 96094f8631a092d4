// Unit tests for src/sparsenas/nn/dynamic_batch_norm.h: a dynamic BN against a static LibTorch BN.
#include "sparsenas/nn/dynamic_batch_norm.h"

#include <gtest/gtest.h>

#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/tensor_compare.h"

namespace sparsenas::nn {
namespace {

using test::randomize_state;

using test::max_diff;

class DynamicBatchNormTest : public test::SeededTest {};

TEST_F(DynamicBatchNormTest, DynamicBatchNormMatchesStaticOnSlice) {
  DynamicBatchNorm dyn(16, 1e-5, 0.1);
  randomize_state(*dyn);
  torch::nn::BatchNorm2d ref(torch::nn::BatchNorm2dOptions(6).eps(1e-5).momentum(0.1));
  {
    torch::NoGradGuard no_grad;
    ref->weight.copy_(dyn->bn->weight.narrow(0, 0, 6));
    ref->bias.copy_(dyn->bn->bias.narrow(0, 0, 6));
    ref->running_mean.copy_(dyn->bn->running_mean.narrow(0, 0, 6));
    ref->running_var.copy_(dyn->bn->running_var.narrow(0, 0, 6));
  }
  const auto untouched = dyn->bn->running_mean.narrow(0, 6, 10).clone();
  const auto x = torch::randn({4, 6, 5, 5});
  dyn->eval();
  ref->eval();
  EXPECT_LT(max_diff(dyn(x), ref(x)), 1e-6);
  // Training mode updates the running statistics of the slice only.
  dyn->train();
  ref->train();
  EXPECT_LT(max_diff(dyn(x), ref(x)), 1e-5);
  EXPECT_LT(max_diff(dyn->bn->running_mean.narrow(0, 0, 6), ref->running_mean), 1e-6);
  EXPECT_LT(max_diff(dyn->bn->running_var.narrow(0, 0, 6), ref->running_var), 1e-6);
  EXPECT_TRUE(torch::equal(dyn->bn->running_mean.narrow(0, 6, 10), untouched));
}

}  // namespace
}  // namespace sparsenas::nn
