// Unit tests for losses.h and optimizer.h.
#include "sparsenas/train/losses.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "sparsenas/core/error.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/train/optimizer.h"
#include "support/seeded_test.h"
#include "train/train_test_util.h"

namespace sparsenas::train {
namespace {

class LossesTest : public sparsenas::test::SeededTest {};

TEST_F(LossesTest, LabelSmoothingMatchesHandValue) {
  // log_softmax([1, 2, 3]) and target [0.1/3, 0.1/3, 0.9 + 0.1/3], computed by hand (double).
  const auto logits = torch::tensor({{1.0, 2.0, 3.0}}, torch::kDouble);
  const auto labels = torch::tensor({2}, torch::kLong);
  EXPECT_NEAR(label_smoothing_cross_entropy(logits, labels, 0.1).item<double>(), 0.5076059644443801,
              1e-12);
}

TEST_F(LossesTest, NoSmoothingEqualsTorchCrossEntropy) {
  const auto logits = torch::randn({6, 5});
  const auto labels = torch::tensor({0, 4, 2, 2, 1, 3}, torch::kLong);
  const auto expected = torch::nn::functional::cross_entropy(logits, labels);
  EXPECT_NEAR(label_smoothing_cross_entropy(logits, labels, 0.0).item<double>(),
              expected.item<double>(), 1e-6);
}

TEST_F(LossesTest, SmoothingIsTheOfaMixture) {
  // sum_c -target_c log p_c = (1 - eps) * CE + eps * mean_c(-log p_c)
  const auto logits = torch::randn({4, 10});
  const auto labels = torch::tensor({0, 9, 3, 3}, torch::kLong);
  const double eps = 0.1;
  const auto ce = torch::nn::functional::cross_entropy(logits, labels);
  const auto uniform = (-torch::log_softmax(logits, 1)).mean(1).mean();
  EXPECT_NEAR(label_smoothing_cross_entropy(logits, labels, eps).item<double>(),
              ((1 - eps) * ce + eps * uniform).item<double>(), 1e-6);
}

TEST_F(LossesTest, SoftTargetMatchesHandValue) {
  const auto teacher = torch::tensor({{0.0, 1.0, 2.0}}, torch::kDouble);
  const auto student = torch::tensor({{2.0, 0.0, 1.0}}, torch::kDouble);
  EXPECT_NEAR(soft_target_cross_entropy(student, torch::softmax(teacher, 1)).item<double>(),
              1.5623038623287977, 1e-12);
}

TEST_F(LossesTest, KdOfIdenticalLogitsIsTeacherEntropyWithZeroGradient) {
  const auto teacher_logits = torch::randn({5, 7}, torch::kDouble);
  const auto probs = torch::softmax(teacher_logits, 1);
  auto student = teacher_logits.clone().requires_grad_(true);
  const auto loss = soft_target_cross_entropy(student, probs);
  const auto entropy = (-probs * torch::log(probs)).sum(1).mean();
  EXPECT_NEAR(loss.item<double>(), entropy.item<double>(), 1e-12);
  EXPECT_GT(loss.item<double>(), 0.1);  // not zero: cross-entropy, not KL
  loss.backward();
  EXPECT_LT(student.grad().abs().max().item<double>(), 1e-12);
  // The hand value for one row: the entropy of softmax([0, 1, 2]).
  const auto row = torch::tensor({{0.0, 1.0, 2.0}}, torch::kDouble);
  EXPECT_NEAR(soft_target_cross_entropy(row, torch::softmax(row, 1)).item<double>(),
              0.8323955818399389, 1e-12);
}

TEST_F(LossesTest, TrainingLossIsKdRatioTimesKdPlusSmoothedCe) {
  const auto logits = torch::randn({3, 4});
  const auto labels = torch::tensor({1, 0, 3}, torch::kLong);
  const auto soft = torch::softmax(torch::randn({3, 4}), 1);
  const double ce = label_smoothing_cross_entropy(logits, labels, 0.1).item<double>();
  const double kd = soft_target_cross_entropy(logits, soft).item<double>();
  EXPECT_NEAR(training_loss(logits, labels, soft, 0.1, 0.5).item<double>(), 0.5 * kd + ce, 1e-6);
  EXPECT_NEAR(training_loss(logits, labels, torch::Tensor(), 0.1, 1.0).item<double>(), ce, 1e-7);
  EXPECT_NEAR(training_loss(logits, labels, soft, 0.1, 0.0).item<double>(), ce, 1e-7);
}

TEST_F(LossesTest, RejectsBadShapes) {
  EXPECT_THROW(label_smoothing_cross_entropy(torch::randn({3}), torch::zeros({3}, torch::kLong), 0),
               Error);
  EXPECT_THROW(
      label_smoothing_cross_entropy(torch::randn({3, 2}), torch::zeros({2}, torch::kLong), 0),
      Error);
  EXPECT_THROW(soft_target_cross_entropy(torch::randn({3, 2}), torch::rand({3, 3})), Error);
}

// --- optimizer ---------------------------------------------------------------------------------

class OptimizerTest : public sparsenas::test::SeededTest {};

TEST_F(OptimizerTest, BnParametersAndBiasesGetNoDecay) {
  nn::Supernet net(test::tiny_space());
  const ParameterGroups groups = split_parameters(*net, /*no_decay_bn_bias=*/true);
  ASSERT_FALSE(groups.decay.empty());
  ASSERT_FALSE(groups.no_decay.empty());
  for (const std::string& name : groups.no_decay_names) {
    EXPECT_TRUE(name.find("bn") != std::string::npos || name.find("bias") != std::string::npos)
        << name;
  }
  for (const std::string& name : groups.decay_names) {
    EXPECT_EQ(name.find("bn"), std::string::npos) << name;
    EXPECT_EQ(name.find("bias"), std::string::npos) << name;
  }
  const auto has = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  EXPECT_TRUE(has(groups.no_decay_names, "stem_bn.bn.weight"));
  EXPECT_TRUE(has(groups.no_decay_names, "stem_bn.bn.bias"));
  EXPECT_TRUE(has(groups.no_decay_names, "classifier.bias"));
  EXPECT_TRUE(has(groups.no_decay_names, "blocks.0.se_reduce_bias"));
  EXPECT_TRUE(has(groups.decay_names, "stem_weight"));
  EXPECT_TRUE(has(groups.decay_names, "classifier.weight"));
  EXPECT_EQ(groups.decay.size() + groups.no_decay.size(), net->parameters().size());

  const ParameterGroups all = split_parameters(*net, /*no_decay_bn_bias=*/false);
  EXPECT_TRUE(all.no_decay.empty());
  EXPECT_EQ(all.decay.size(), net->parameters().size());
}

TEST_F(OptimizerTest, TwoGroupsWithTheirWeightDecayAndSharedLr) {
  nn::Supernet net(test::tiny_space());
  TrainConfig config;
  config.weight_decay = 4e-5;
  auto optimizer = build_optimizer(*net, config);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  const auto& decay =
      static_cast<torch::optim::SGDOptions&>(optimizer->param_groups()[0].options());
  const auto& no_decay =
      static_cast<torch::optim::SGDOptions&>(optimizer->param_groups()[1].options());
  EXPECT_EQ(decay.weight_decay(), 4e-5);
  EXPECT_EQ(no_decay.weight_decay(), 0.0);
  EXPECT_TRUE(decay.nesterov());
  EXPECT_EQ(decay.momentum(), 0.9);
  const ParameterGroups groups = split_parameters(*net, true);
  EXPECT_EQ(optimizer->param_groups()[0].params().size(), groups.decay.size());
  EXPECT_EQ(optimizer->param_groups()[1].params().size(), groups.no_decay.size());
  // The same tensors (not copies) are optimised.
  EXPECT_TRUE(optimizer->param_groups()[0].params()[0].is_same(groups.decay[0]));

  set_learning_rate(*optimizer, 0.0123);
  for (auto& group : optimizer->param_groups()) {
    EXPECT_EQ(static_cast<torch::optim::SGDOptions&>(group.options()).lr(), 0.0123);
  }
}

TEST_F(OptimizerTest, NoDecayGroupReallyHasNoDecay) {
  // With a zero gradient, only weight decay moves a parameter.
  nn::Supernet net(test::tiny_space());
  TrainConfig config;
  config.weight_decay = 0.1;
  config.momentum = 0.5;
  auto optimizer = build_optimizer(*net, config);
  set_learning_rate(*optimizer, 1.0);
  for (auto& p : net->parameters()) p.mutable_grad() = torch::zeros_like(p);
  const auto before_w = net->stem_weight.clone();
  const auto before_b = net->stem_bn->bn->weight.clone();
  optimizer->step();
  EXPECT_TRUE(torch::equal(net->stem_bn->bn->weight, before_b));
  EXPECT_FALSE(torch::equal(net->stem_weight, before_w));
  // Nesterov SGD from zero momentum: buf = wd * w; w -= lr * (wd * w + momentum * buf).
  EXPECT_TRUE(torch::allclose(net->stem_weight, before_w * (1 - 0.1 - 0.5 * 0.1), 1e-6, 1e-7));
}

}  // namespace
}  // namespace sparsenas::train
