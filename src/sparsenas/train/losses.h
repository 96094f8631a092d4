#pragma once
// Training losses of OFA: label-smoothed cross-entropy and the KD soft cross-entropy.

#include <torch/types.h>

namespace sparsenas::train {

/// OFA's cross_entropy_with_label_smoothing: target = (1 - eps) * onehot(labels) + eps / K,
/// loss = mean over the batch of sum_c -target_c * log_softmax(logits)_c.
/// `logits`: float [N, K]; `labels`: int64 [N] in [0, K); `smoothing` in [0, 1).
/// With smoothing 0 it equals torch's mean cross-entropy.
torch::Tensor label_smoothing_cross_entropy(const torch::Tensor& logits,
                                            const torch::Tensor& labels, double smoothing);

/// OFA's cross_entropy_loss_with_soft_target (KD type "ce", temperature 1):
/// mean over the batch of sum_c -soft_targets_c * log_softmax(logits)_c.
/// `soft_targets`: [N, K], rows are probability vectors (the teacher's softmax), no gradient.
/// When the student equals the teacher it is the mean entropy of the teacher's distribution
/// (not 0), and its gradient with respect to the logits is 0.
torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits,
                                        const torch::Tensor& soft_targets);

/// The loss of one sub-network in a training step (OFA train_one_epoch):
/// kd_ratio * soft_target_cross_entropy(logits, soft_targets)
///   + label_smoothing_cross_entropy(logits, labels, smoothing).
/// `soft_targets` may be undefined (no teacher), and then only the hard loss is used.
torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const torch::Tensor& soft_targets, double smoothing, double kd_ratio);

}  // namespace sparsenas::train
