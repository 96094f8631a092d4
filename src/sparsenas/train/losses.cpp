#include "sparsenas/train/losses.h"

#include "sparsenas/core/error.h"

namespace sparsenas::train {
namespace {

void check_logits(const torch::Tensor& logits, const char* function) {
  SNAS_CHECK(logits.defined() && logits.dim() == 2 && logits.size(0) >= 1 && logits.size(1) >= 2,
             function, ": logits must be [N, K] with N >= 1 and K >= 2, got ",
             logits.defined() ? logits.sizes() : torch::IntArrayRef{});
}

}  // namespace

torch::Tensor label_smoothing_cross_entropy(const torch::Tensor& logits,
                                            const torch::Tensor& labels, double smoothing) {
  check_logits(logits, "label_smoothing_cross_entropy");
  SNAS_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == logits.size(0) &&
                 labels.scalar_type() == torch::kLong,
             "label_smoothing_cross_entropy: labels must be int64 [", logits.size(0), "], got ",
             labels.defined() ? labels.sizes() : torch::IntArrayRef{});
  SNAS_CHECK(smoothing >= 0 && smoothing < 1,
             "label_smoothing_cross_entropy: smoothing must be in [0, 1), got ", smoothing);
  const int64_t num_classes = logits.size(1);
  // The soft-target form of OFA (not torch's smoothing argument, which 1.13's C++ API lacks):
  // build the smoothed target explicitly so the formula is exactly OFA's label_smooth().
  auto target = torch::zeros(logits.sizes(), logits.options());
  target.scatter_(1, labels.unsqueeze(1), 1.0);
  target = target * (1.0 - smoothing) + smoothing / static_cast<double>(num_classes);
  return soft_target_cross_entropy(logits, target);
}

torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits,
                                        const torch::Tensor& soft_targets) {
  check_logits(logits, "soft_target_cross_entropy");
  SNAS_CHECK(soft_targets.defined() && soft_targets.sizes() == logits.sizes(),
             "soft_target_cross_entropy: soft_targets must have the shape of logits ",
             logits.sizes(), ", got ",
             soft_targets.defined() ? soft_targets.sizes() : torch::IntArrayRef{});
  return (-soft_targets * torch::log_softmax(logits, 1)).sum(1).mean();
}

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const torch::Tensor& soft_targets, double smoothing, double kd_ratio) {
  torch::Tensor loss = label_smoothing_cross_entropy(logits, labels, smoothing);
  if (soft_targets.defined() && kd_ratio > 0) {
    loss = kd_ratio * soft_target_cross_entropy(logits, soft_targets) + loss;
  }
  return loss;
}

}  // namespace sparsenas::train
