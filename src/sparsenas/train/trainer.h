#pragma once
// The supernet training loop (OFA train_one_epoch, reference §3.3): per batch, n_sub sampled
// sub-networks, summed gradients, one SGD step; optional KD from a teacher; validation after each
// epoch; atomic checkpoints and exact resume.

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "sparsenas/data/data_config.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/train_config.h"

namespace sparsenas::train {

/// Asks every running `train()` to write a checkpoint and return at its next step boundary
/// (result.interrupted = true). Async-signal-safe: a SIGINT handler may call it.
void request_stop() noexcept;
/// Clears a stop request (a new run in the same process starts with it cleared by the caller).
void clear_stop_request() noexcept;
bool stop_requested() noexcept;

/// The network distilled from (OFA: the full network, trained first).
///
/// OFA runs its teacher in train() mode under no_grad: BN normalises with the statistics of the
/// batch, and OFA's teacher has no dropout. We do the same and, because our teacher is a network
/// that later stages still use, we keep its BN running statistics from drifting: the trainer puts
/// the teacher in eval mode (dropout off), switches only its BN layers to train mode when
/// `batch_statistics` is true, and restores every buffer after each teacher forward.
struct Teacher {
  std::shared_ptr<torch::nn::Module> module;  ///< owns the weights; moved to the training device
  ForwardFn forward;                          ///< images -> logits [N, K]
  bool batch_statistics = true;  ///< BN uses batch statistics (OFA); false: running statistics
};

/// A teacher from a static network (e.g. extracted from a trained supernet).
Teacher make_teacher(nn::StaticNet net);
/// A teacher from a separate supernet instance with `arch` active (e.g. the largest network).
Teacher make_teacher(nn::Supernet net, const space::Arch& arch);

/// What a finished optimizer step reports.
struct StepInfo {
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;  ///< of the step just done
  int64_t global_step = 0;    ///< steps done, this one included
  double lr = 0.0;
  double loss = 0.0;               ///< mean loss over the step's sub-networks
  std::vector<space::Arch> archs;  ///< the sub-networks of the step, in order j = 0..n_sub-1
};

/// Observers; all optional. They run on the training thread.
struct TrainCallbacks {
  std::function<void(const StepInfo&)> on_step;           ///< after every optimizer step
  std::function<void(const EpochSummary&)> on_epoch_end;  ///< after each epoch's validation
  /// Polled at every step boundary (before each step); true stops the run like request_stop().
  std::function<bool(const TrainState&)> should_stop;
};

/// The inputs of `train` that are not JSON settings.
struct TrainSetup {
  std::optional<Teacher> teacher;      ///< used when config.kd_ratio > 0
  std::vector<space::Arch> val_archs;  ///< validated on splits.val after every epoch
  std::filesystem::path checkpoint;    ///< checkpoint file; empty = no checkpoints
  bool resume = false;                 ///< continue from `checkpoint` (which must exist)
  bool augment = true;                 ///< train-time augmentation (data::DataConfig::augment)
  TrainCallbacks callbacks;
};

/// What `train` returns.
struct TrainResult {
  TrainState state;          ///< final state: counters, history, best validation
  bool interrupted = false;  ///< stopped early by request_stop() or should_stop
};

/// Trains `net` for config.epochs epochs on splits.train (see the file comment and reference
/// §3.3). Per epoch e the data order is a function of (config.seed, e); per step the learning
/// rate is learning_rate(config, e, step, steps) and the j-th network is
/// sampler.sample(mix_seed(config.seed, kSamplerStream), e, step, j). After each epoch every
/// `val_archs` entry is evaluated on splits.val (after BN recalibration on a fixed training
/// subset, except for the sampler's own fixed architecture); BN buffers are restored afterwards,
/// so validation never changes the trained state. Checkpoints every `checkpoint_every` steps and
/// at each epoch end. With `resume`, loads the checkpoint (weights, optimizer, RNG, progress)
/// and continues exactly where it stopped; the stored config must agree with `config` except in
/// threads, device, checkpoint_every, eval_batch, bn_recal_images, bn_recal_batch and sync_bn.
///
/// Data-parallel (dist::size() W > 1, e.g. started by torchrun): config.batch_size is the GLOBAL
/// batch; rank r trains on rows [B r / W, B (r + 1) / W) of each batch (so the learning rate
/// means what it means in one process), the gradients of the step (summed over the n_sub
/// networks) are averaged over the ranks by one all-reduce, every rank draws the same networks
/// (checked at the start with the parameters, settings and resume point), dropout masks are
/// drawn for the global batch, and rank 0 alone writes checkpoints. With config.sync_bn the BN
/// batch statistics are those of the global batch, and W ranks reproduce one process to float
/// tolerance; without, each rank normalises with its shard's statistics (OFA, PyTorch DDP).
/// Validation networks are divided among the ranks and the results gathered. A stop request
/// on any rank stops all at the same step boundary (one step later).
///
/// Sets LibTorch's thread count to resolved_threads(config), moves `net` (and the teacher) to
/// config.device and, with config.channels_last, to channels-last. Leaves `net` in train mode.
TrainResult train(const TrainConfig& config, nn::SupernetImpl& net, const ArchSampler& sampler,
                  const data::Splits& splits, const TrainSetup& setup = {});

/// Stream constant mixed into config.seed to seed the architecture sampler (keeps it independent
/// of the data order, which the loader derives from the same seed).
constexpr uint64_t kSamplerStream = 0x5341'4D50'4C45'5253ULL;

/// The torch::Device of config.device (validated).
torch::Device training_device(const TrainConfig& config);

}  // namespace sparsenas::train
