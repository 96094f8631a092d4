#pragma once
// Training state and checkpoints: weights, optimizer state, RNG state and progress, written
// atomically, so that a killed run resumes exactly where it stopped.

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/space/arch.h"

namespace sparsenas::nn {
class SupernetImpl;  // sparsenas/nn/supernet.h
}  // namespace sparsenas::nn

namespace sparsenas::train {

/// Cost counters of a run, summed over resumes (reported per stage, paper Table 4).
struct TrainCounters {
  int64_t optimizer_steps = 0;  ///< optimizer.step() calls
  int64_t subnet_passes = 0;    ///< sub-network forward + backward passes (n_sub per step)
  int64_t teacher_passes = 0;   ///< teacher forward passes (one per step with KD)
  int64_t images_seen = 0;      ///< training images consumed (batch size per step)
  double train_seconds = 0.0;   ///< wall time of the training steps
  double eval_seconds = 0.0;    ///< wall time of BN recalibration and validation
  double wall_seconds = 0.0;    ///< wall time inside train(), checkpoints included
};

/// Validation of one architecture after an epoch.
struct ArchEval {
  space::Arch arch;
  double top1 = 0.0;          ///< fraction in [0, 1]
  double loss = 0.0;          ///< mean cross-entropy
  bool recalibrated = false;  ///< BN statistics were recalibrated before evaluating
};

/// One line of the training history.
struct EpochSummary {
  int64_t epoch = 0;               ///< 0-based
  double train_loss = 0.0;         ///< mean training loss (mean over the n_sub networks per step)
  double train_top1 = 0.0;         ///< training accuracy over all sub-network predictions
  double lr = 0.0;                 ///< learning rate of the last step
  std::vector<ArchEval> val;       ///< validated architectures (may be empty)
  std::optional<double> val_top1;  ///< mean top-1 over `val`; empty when nothing was validated
  double seconds = 0.0;            ///< wall time of the training steps of this epoch
  double images_per_second = 0.0;  ///< training images per second of step time
};

/// Where a run stands. Saved in every checkpoint; enough to continue bit-exactly (with the
/// weights, optimizer and RNG state stored beside it).
struct TrainState {
  int64_t epoch = 0;            ///< epoch in progress, or the next to start (== epochs: finished)
  int64_t step_in_epoch = 0;    ///< next step of `epoch`
  int64_t global_step = 0;      ///< optimizer steps done since the start of the run
  double best_val_top1 = -1.0;  ///< best mean validation top-1 of an epoch (-1: none yet)
  int64_t best_epoch = -1;      ///< epoch of `best_val_top1` (-1: none yet)
  TrainCounters counters;
  // Accumulators of the epoch in progress, so that a resumed epoch reports the same summary.
  double epoch_loss_sum = 0.0;    ///< sum over steps of (mean loss over sub-networks) * images
  int64_t epoch_images = 0;       ///< images of the epoch so far
  int64_t epoch_correct = 0;      ///< correct sub-network predictions of the epoch so far
  int64_t epoch_predictions = 0;  ///< sub-network predictions of the epoch so far
  double epoch_seconds = 0.0;     ///< step time of the epoch so far
  double last_lr = 0.0;           ///< learning rate of the last step
  std::vector<EpochSummary> history;
};

void to_json(nlohmann::json& json, const TrainCounters& value);
void from_json(const nlohmann::json& json, TrainCounters& value);
void to_json(nlohmann::json& json, const EpochSummary& value);
void from_json(const nlohmann::json& json, EpochSummary& value);
void to_json(nlohmann::json& json, const TrainState& value);
void from_json(const nlohmann::json& json, TrainState& value);

/// The JSON part of a checkpoint.
struct CheckpointMeta {
  TrainState state;
  nlohmann::json config;  ///< the TrainConfig of the run (to_json)
  nlohmann::json space;   ///< the supernet's SpaceSpec (space::to_json)
  std::string sampler;    ///< ArchSampler::describe() of the run
};

/// Writes a checkpoint atomically (temp file, fsync, rename): the supernet's parameters and
/// buffers, the optimizer state (when `optimizer` is not null), LibTorch's default CPU generator
/// state (and the CUDA one when the net is on CUDA), and `meta` as JSON (its `space` is filled
/// from `net`). A crash while writing leaves the previous checkpoint intact.
void save_checkpoint(const std::filesystem::path& path, const nn::SupernetImpl& net,
                     const torch::optim::Optimizer* optimizer, const CheckpointMeta& meta);

/// Restores a checkpoint written by `save_checkpoint` into `net` (which must be built over the
/// same search space: checked first) and, when not null, `optimizer` (built over `net` the same
/// way as when saving). With `restore_rng` it also restores the generator state(s). Tensors are
/// loaded onto the device of `net`. Returns the JSON part.
/// Throws sparsenas::Error naming `path` when the file is missing, unreadable, not a sparsenas
/// checkpoint, or does not match `net`.
CheckpointMeta load_checkpoint(const std::filesystem::path& path, nn::SupernetImpl& net,
                               torch::optim::Optimizer* optimizer, bool restore_rng = true);

/// Reads only the JSON part of a checkpoint (same errors as `load_checkpoint`).
CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path);

}  // namespace sparsenas::train
