#pragma once
// TrainConfig: every setting of a supernet / sub-network training run (optimizer, schedule, KD,
// sampling, checkpoints, device). Defaults follow OFA's training recipe (reference §3.2).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace sparsenas::train {

/// Settings of one training run. Plain data: defaults live here and nowhere else; `validate()`
/// checks them; `to_json`/`from_json` are the only serialisation.
///
/// Learning rate per optimizer step t (see lr_schedule.h for the exact formulas):
/// - warm-up (`warmup_epochs` > 0): linear per iteration from `warmup_lr` to `lr`, as OFA's
///   warmup_adjust_learning_rate: the first step uses warmup_lr + (lr - warmup_lr) / T_warm and
///   the last warm-up step uses exactly `lr`;
/// - then "cosine": 0.5 * lr * (1 + cos(pi * t / T)) per iteration over the remaining
///   `epochs - warmup_epochs` epochs (t counted from the end of warm-up);
/// - or "step2_cosine" (our reading of the SparseNAS paper's schedule, §5.1.4: "an initial learning
///   rate of 0.008 for the first 5 epochs and 0.08 for the remaining 145 epochs ... Other
///   hyperparameters are following CompOFA", whose schedule is cosine): `step_lr` for the first
///   `step_epochs` epochs after warm-up, then cosine from `lr` over the rest;
/// - or "step2" (the literal reading, a constant `lr` after the step):
///   `step_lr` for the first `step_epochs` epochs after warm-up, then `lr` (constant).
///
/// Example (JSON):
/// ```
/// {"epochs": 30, "lr": 0.1, "n_sub": 2, "kd_ratio": 0.0, "threads": 2}
/// ```
struct TrainConfig {
  int64_t epochs = 10;           ///< total epochs, warm-up included (OFA: n_epochs + warmup)
  int64_t batch_size = 128;      ///< images per optimizer step (the last partial batch is dropped)
  double lr = 0.1;               ///< base learning rate (the peak after warm-up)
  double momentum = 0.9;         ///< SGD momentum
  bool nesterov = true;          ///< Nesterov momentum (OFA: true)
  double weight_decay = 3e-5;    ///< L2 penalty of the decay parameter group
  bool no_decay_bn_bias = true;  ///< no weight decay on BN parameters and biases (OFA "bn#bias")
  int64_t warmup_epochs = 0;     ///< epochs of linear warm-up at the start (0 = none)
  double warmup_lr = 0.0;        ///< learning rate the warm-up starts from (OFA run_config: 0)
  std::string lr_schedule = "cosine";  ///< after warm-up: "cosine", "step2" or "step2_cosine"
  int64_t step_epochs = 5;         ///< "step2*" only: epochs at `step_lr` before switching to `lr`
  double step_lr = 0.008;          ///< "step2*" only: learning rate of the first `step_epochs`
  double label_smoothing = 0.1;    ///< epsilon of the label-smoothed hard-label cross-entropy
  int64_t n_sub = 1;               ///< sub-networks sampled per batch; their gradients are summed
  double kd_ratio = 0.0;           ///< weight of the KD soft cross-entropy (0 = no distillation;
                                   ///< OFA uses 1.0 when a teacher exists)
  uint64_t seed = 0;               ///< seed of data order, augmentation and sub-network sampling
  int64_t threads = 0;             ///< intra-op threads (0 = all hardware cores); always applied
  std::string device = "cpu";      ///< "cpu", "cuda" or "cuda:N"
  int64_t checkpoint_every = 200;  ///< optimizer steps between checkpoints (0 = only at epoch ends)
  int64_t bn_recal_images = 2000;  ///< training images used to recalibrate BN before validation
  int64_t bn_recal_batch = 200;    ///< batch size of BN recalibration
  int64_t eval_batch = 500;        ///< batch size of evaluation
  double grad_clip = 0.0;          ///< max global L2 norm of the gradients (0 = no clipping)
  bool channels_last = true;       ///< run convolutions in channels-last memory format (faster)

  /// Throws sparsenas::Error naming the field, the expected range and the actual value. For a
  /// CUDA `device` it also checks that CUDA is available.
  void validate() const;
};

/// Writes every field.
void to_json(nlohmann::json& json, const TrainConfig& config);
/// Reads the keys present (others keep their values). Unknown keys and wrongly typed values throw
/// sparsenas::Error listing the valid keys. Does not call `validate()`.
void from_json(const nlohmann::json& json, TrainConfig& config);

/// The thread count `threads` stands for: itself when > 0, else the number of hardware cores.
int64_t resolved_threads(const TrainConfig& config);

}  // namespace sparsenas::train
