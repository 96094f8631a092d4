// Unit tests for evaluate.h: BN recalibration against hand-computed statistics, evaluation.
#include "sparsenas/train/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "support/seeded_test.h"
#include "train/train_test_util.h"

namespace sparsenas::train {
namespace {

class EvaluateTest : public sparsenas::test::SeededTest {};

TEST_F(EvaluateTest, RecalibrationWritesPlainAveragesOfBatchStatistics) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Dataset subset = test::separable_dataset(40, 5);
  const std::vector<float> mean = {0.3f}, std = {0.3f};
  const int64_t batch = 16;  // batches of 16, 16 and 8: the average must weight by batch size

  // The stem BN sees conv(stem_weight, images): its batch statistics computed by hand.
  const torch::Tensor images = data::to_float_normalized(subset.images, mean, std);
  torch::Tensor sum_mean = torch::zeros({space.stem_width()}, torch::kDouble);
  torch::Tensor sum_var = torch::zeros({space.stem_width()}, torch::kDouble);
  for (int64_t start = 0; start < subset.size(); start += batch) {
    const int64_t n = std::min(batch, subset.size() - start);
    const torch::Tensor x = images.narrow(0, start, n);
    const torch::Tensor y =
        torch::conv2d(x, net->stem_weight.detach(), {}, {2, 2}, {1, 1}).to(torch::kDouble);
    const torch::Tensor m = y.mean({0, 2, 3});
    const torch::Tensor v = (y - m.view({1, -1, 1, 1})).pow(2).mean({0, 2, 3});  // biased
    sum_mean += m * static_cast<double>(n);
    sum_var += v * static_cast<double>(n);
  }
  const torch::Tensor expected_mean = (sum_mean / 40.0).to(torch::kFloat);
  const torch::Tensor expected_var = (sum_var / 40.0).to(torch::kFloat);

  space::Arch small = space.min_arch();  // expand 2: the first block's BN is sliced
  const torch::Tensor expand_mean_before = net->blocks[0]->expand_bn->bn->running_mean.clone();
  net->train();
  recalibrate_bn(*net, small, subset, batch, mean, std, torch::kCPU);

  EXPECT_TRUE(net->is_training());  // mode restored
  EXPECT_EQ(net->active(), small);
  EXPECT_TRUE(torch::allclose(net->stem_bn->bn->running_mean, expected_mean, 1e-4, 1e-5))
      << net->stem_bn->bn->running_mean << expected_mean;
  EXPECT_TRUE(torch::allclose(net->stem_bn->bn->running_var, expected_var, 1e-4, 1e-5))
      << net->stem_bn->bn->running_var << expected_var;
  // Only the active slice of a sliced BN changes.
  const int64_t mid = space.mid_channels(0, 2);
  const torch::Tensor after = net->blocks[0]->expand_bn->bn->running_mean;
  ASSERT_LT(mid, after.size(0));
  EXPECT_FALSE(torch::equal(after.narrow(0, 0, mid), expand_mean_before.narrow(0, 0, mid)));
  EXPECT_TRUE(torch::equal(after.narrow(0, mid, after.size(0) - mid),
                           expand_mean_before.narrow(0, mid, after.size(0) - mid)));
}

TEST_F(EvaluateTest, RecalibrationSubsetIsFixedAndSeeded) {
  const data::Dataset train = test::separable_dataset(50, 9);
  const data::Dataset a = bn_recalibration_subset(train, 20);
  const data::Dataset b = bn_recalibration_subset(train, 20);
  EXPECT_EQ(a.size(), 20);
  EXPECT_TRUE(torch::equal(a.images, b.images));
  const std::vector<int64_t> order = data::random_permutation(50, kBnSubsetSeed);
  EXPECT_TRUE(torch::equal(a.images[3], train.images[order[3]]));
  EXPECT_FALSE(torch::equal(bn_recalibration_subset(train, 20, 1).images, a.images));
  EXPECT_EQ(bn_recalibration_subset(train, 500).size(), 50);  // capped at the split size
  EXPECT_THROW(bn_recalibration_subset(train, 0), Error);
}

TEST_F(EvaluateTest, TopOneAndLossOfKnownLogits) {
  // Constant logits [0, log 3]: p = [1/4, 3/4]; predicted class 1 for every image.
  const data::Dataset dataset = test::separable_dataset(10, 4);  // labels 0,1,0,1,...
  const ForwardFn forward = [](const torch::Tensor& x) {
    return torch::tensor({0.0f, static_cast<float>(std::log(3.0))}).repeat({x.size(0), 1});
  };
  const EvalResult r = evaluate(forward, dataset, 4, {0.3f}, {0.3f}, torch::kCPU);
  EXPECT_EQ(r.images, 10);
  EXPECT_DOUBLE_EQ(r.top1, 0.5);
  // Per image, over batches of 4 (4 + 4 + 2): right exactly where the label is 1.
  EXPECT_EQ(r.correct, (std::vector<uint8_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
  EXPECT_NEAR(r.loss, 0.5 * std::log(4.0) + 0.5 * -std::log(0.75), 1e-6);
  EXPECT_GE(r.seconds, 0.0);
  data::Dataset empty = dataset.subset(torch::zeros({0}, torch::kLong));
  EXPECT_THROW(evaluate(forward, empty, 4, {0.3f}, {0.3f}, torch::kCPU), Error);
}

TEST_F(EvaluateTest, SupernetAndExtractedNetworkAgree) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Dataset subset = test::separable_dataset(32, 6);
  const data::Dataset val = test::separable_dataset(24, 7);
  Rng rng(1);
  const space::Arch arch = space.sample(rng);
  recalibrate_bn(*net, arch, subset, 16, {0.3f}, {0.3f}, torch::kCPU);
  net->train();
  const EvalResult a = evaluate(*net, arch, val, 8, {0.3f}, {0.3f}, torch::kCPU);
  EXPECT_TRUE(net->is_training());
  const auto extracted = net->extract(arch);
  const EvalResult b = evaluate(*extracted, val, 8, {0.3f}, {0.3f}, torch::kCPU);
  EXPECT_EQ(a.images, 24);
  EXPECT_DOUBLE_EQ(a.top1, b.top1);
  EXPECT_NEAR(a.loss, b.loss, 1e-5);
}

}  // namespace
}  // namespace sparsenas::train
