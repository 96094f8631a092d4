#pragma once
// The learning rate as a pure function of (config, epoch, step): resumable and testable.

#include <cstdint>

#include "sparsenas/train/train_config.h"

namespace sparsenas::train {

/// Learning rate of the optimizer step `step_in_epoch` (0-based) of epoch `epoch` (0-based), with
/// `steps_per_epoch` steps per epoch. Let W = warmup_epochs * steps_per_epoch and
/// t = epoch * steps_per_epoch + step_in_epoch.
///
/// - t < W (warm-up, OFA's warmup_adjust_learning_rate):
///     warmup_lr + (lr - warmup_lr) * (t + 1) / W      (the last warm-up step is exactly `lr`)
/// - "cosine" (OFA's calc_learning_rate), with u = t - W and T = (epochs - warmup_epochs) * steps:
///     0.5 * lr * (1 + cos(pi * u / T))                 (starts at `lr`, never reaches 0)
/// - "step2": `step_lr` while (epoch - warmup_epochs) < step_epochs, then `lr`.
/// - "step2_cosine": `step_lr` while (epoch - warmup_epochs) < step_epochs, then cosine per iteration
///   from `lr` over the remaining epochs (t counted from the end of the step).
///
/// Throws sparsenas::Error when `steps_per_epoch` < 1 or the position is outside the run.
double learning_rate(const TrainConfig& config, int64_t epoch, int64_t step_in_epoch,
                     int64_t steps_per_epoch);

}  // namespace sparsenas::train
