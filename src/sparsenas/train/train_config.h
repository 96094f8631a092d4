#pragma once
// TrainConfig: every setting of a supernet / sub-network training run (optimizer, schedule, KD,
// sampling, checkpoints, device). Defaults follow OFA's training recipe (reference §3.2).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace sparsenas::train {

/// Settings of one training run. Plain data: defaults are the member initializers and nowhere
/// else; each field is declared once in `fields()` (key, doc, range), from which `validate()`,
/// `to_json` and `from_json` are made (core/config_fields.h).
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
  static constexpr const char* kName = "TrainConfig";  ///< prefix of field names in errors

  int64_t epochs = 10;
  int64_t batch_size = 128;
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 3e-5;
  bool no_decay_bn_bias = true;
  int64_t warmup_epochs = 0;
  double warmup_lr = 0.0;
  std::string lr_schedule = "cosine";
  int64_t step_epochs = 5;
  double step_lr = 0.008;
  double label_smoothing = 0.1;
  int64_t n_sub = 1;
  double kd_ratio = 0.0;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  int64_t checkpoint_every = 200;
  int64_t bn_recal_images = 2000;
  int64_t bn_recal_batch = 200;
  int64_t eval_batch = 500;
  double grad_clip = 0.0;
  bool channels_last = true;
  bool sync_bn = false;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h). Checks between
  /// fields (warm-up within the epochs, the step phase, the device) are in validate().
  template <class V>
  void fields(V& v) {
    v("epochs", epochs, "total epochs, warm-up included (OFA: n_epochs + warmup)").min(1);
    v("batch_size", batch_size, "images per optimizer step (the last partial batch is dropped)")
        .min(1);
    v("lr", lr, "base learning rate (the peak after warm-up)").above(0);
    v("momentum", momentum, "SGD momentum").range(0, 1, "[)");
    v("nesterov", nesterov, "Nesterov momentum (OFA: true)");
    v("weight_decay", weight_decay, "L2 penalty of the decay parameter group").min(0);
    v("no_decay_bn_bias", no_decay_bn_bias,
      "no weight decay on BN parameters and biases (OFA \"bn#bias\")");
    v("warmup_epochs", warmup_epochs, "epochs of linear warm-up at the start (0 = none)");
    v("warmup_lr", warmup_lr, "learning rate the warm-up starts from (OFA run_config: 0)");
    v("lr_schedule", lr_schedule, "learning-rate schedule after warm-up")
        .one_of({"cosine", "step2", "step2_cosine"});
    v("step_epochs", step_epochs, "\"step2*\" only: epochs at step_lr before switching to lr");
    v("step_lr", step_lr, "\"step2*\" only: learning rate of the first step_epochs");
    v("label_smoothing", label_smoothing,
      "epsilon of the label-smoothed hard-label cross-entropy")
        .range(0, 1, "[)");
    v("n_sub", n_sub, "sub-networks sampled per batch; their gradients are summed").range(1, 1000);
    v("kd_ratio", kd_ratio,
      "weight of the KD soft cross-entropy (0 = no distillation; OFA: 1 with a teacher)")
        .min(0);
    v("seed", seed, "seed of data order, augmentation and sub-network sampling");
    v("threads", threads, "intra-op threads (0 = all hardware cores); always applied")
        .range(0, 4096);
    v("device", device, "\"cpu\", \"cuda\" or \"cuda:N\"");
    v("checkpoint_every", checkpoint_every,
      "optimizer steps between checkpoints (0 = only at epoch ends)")
        .min(0);
    v("bn_recal_images", bn_recal_images, "training images used to recalibrate BN before validation")
        .min(1);
    v("bn_recal_batch", bn_recal_batch, "batch size of BN recalibration").min(1);
    v("eval_batch", eval_batch, "batch size of evaluation").min(1);
    v("grad_clip", grad_clip, "max global L2 norm of the gradients (0 = no clipping)").min(0);
    v("channels_last", channels_last, "run convolutions in channels-last memory format (faster)");
    v("sync_bn", sync_bn,
      "several ranks: BN batch statistics over the global batch (W ranks train as one process; two "
      "small all-reduces per BN layer), false: over each rank's shard (OFA, PyTorch DDP)");
  }

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
/// The same for a bare thread setting (0 = all hardware cores).
int64_t resolved_threads(int64_t threads);

}  // namespace sparsenas::train
