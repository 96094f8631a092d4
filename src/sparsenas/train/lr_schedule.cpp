#include "sparsenas/train/lr_schedule.h"

#include <cmath>

#include "sparsenas/core/error.h"

namespace sparsenas::train {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

double learning_rate(const TrainConfig& config, int64_t epoch, int64_t step_in_epoch,
                     int64_t steps_per_epoch) {
  SNAS_CHECK(steps_per_epoch >= 1, "learning_rate: steps_per_epoch must be >= 1, got ",
             steps_per_epoch);
  SNAS_CHECK(epoch >= 0 && epoch < config.epochs, "learning_rate: epoch must be in [0, ",
             config.epochs - 1, "], got ", epoch);
  SNAS_CHECK(step_in_epoch >= 0 && step_in_epoch < steps_per_epoch,
             "learning_rate: step_in_epoch must be in [0, ", steps_per_epoch - 1, "], got ",
             step_in_epoch);
  if (epoch < config.warmup_epochs) {
    // OFA: T_cur = epoch * nBatch + batch + 1, so the ramp ends on `lr` rather than one step short.
    const double t_cur = static_cast<double>(epoch * steps_per_epoch + step_in_epoch + 1);
    const double t_total = static_cast<double>(config.warmup_epochs * steps_per_epoch);
    return config.warmup_lr + (config.lr - config.warmup_lr) * t_cur / t_total;
  }
  const int64_t schedule_epoch = epoch - config.warmup_epochs;
  if (config.lr_schedule == "step2") {
    return schedule_epoch < config.step_epochs ? config.step_lr : config.lr;
  }
  int64_t cosine_epoch = schedule_epoch;
  int64_t cosine_epochs = config.epochs - config.warmup_epochs;
  if (config.lr_schedule == "step2_cosine") {
    if (schedule_epoch < config.step_epochs) return config.step_lr;
    cosine_epoch -= config.step_epochs;
    cosine_epochs -= config.step_epochs;
  } else {
    SNAS_CHECK(config.lr_schedule == "cosine", "TrainConfig.lr_schedule must be \"cosine\", ",
               "\"step2\" or \"step2_cosine\", got \"", config.lr_schedule, "\"");
  }
  const double t_cur = static_cast<double>(cosine_epoch * steps_per_epoch + step_in_epoch);
  const double t_total = static_cast<double>(cosine_epochs * steps_per_epoch);
  return 0.5 * config.lr * (1.0 + std::cos(kPi * t_cur / t_total));
}

}  // namespace sparsenas::train
