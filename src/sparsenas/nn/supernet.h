#pragma once
// The elastic supernet: one set of maximum-size weights; set_active(arch) then forward(x).
// Elastic kernel and expand live in its blocks (elastic_block.h); the supernet adds elastic depth
// (first d blocks of a stage), the fixed stem and head, and extraction of a static network.
//
// Also includes the headers of the layers and helpers it is built from, which all lived here
// before, so that including supernet.h still gives the whole nn library's supernet API.

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/cpu_threads.h"
#include "sparsenas/nn/dynamic_batch_norm.h"
#include "sparsenas/nn/elastic_block.h"
#include "sparsenas/nn/functional.h"
#include "sparsenas/nn/weight_decay.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::nn {

class StaticNetImpl;

/// Construction options of the supernet.
struct SupernetOptions {
  /// OFA's kernel transform matrices (KERNEL_TRANSFORM_MODE=1). CompOFA trains without them.
  bool kernel_transform = true;
};

/// The elastic supernet over a search space.
///
/// Example:
/// ```
/// Supernet net(space);
/// net->set_active(space.sample(rng));
/// auto logits = net->forward(images);  // [N, num_classes]
/// StaticNet sub = net->extract(arch);  // eval-mode outputs equal the supernet's
/// ```
class SupernetImpl : public torch::nn::Module {
 public:
  explicit SupernetImpl(const space::SearchSpace& space, SupernetOptions options = {});

  /// Validates `arch` against the space and makes it the active sub-network.
  void set_active(const space::Arch& arch);
  const space::Arch& active() const { return active_; }

  /// `x`: [N, in_channels, H, W] (channels-last preferred) -> logits [N, num_classes].
  torch::Tensor forward(const torch::Tensor& x);

  /// Data-parallel training: the input of `forward` is rows [first, first + N) of a global batch
  /// of `global` images. Training-mode dropout then draws its mask for the whole global batch
  /// (the same draws as one process with that batch) and applies this shard's rows, so the ranks
  /// get different masks and the default generator advances as in one process. `global` 0 (the
  /// default): the input is the whole batch.
  void set_batch_shard(int64_t first, int64_t global) {
    shard_first_ = first;
    shard_global_ = global;
  }

  /// A static network holding copies of the active slices (transformed kernels, sliced BN
  /// statistics). Eval-mode outputs equal this supernet's for the same arch. Same device, and
  /// channels-last when this supernet is. Defined in extract.cpp.
  std::shared_ptr<StaticNetImpl> extract(const space::Arch& arch) const;

  /// Recalibration of BN statistics for the active network: call `begin`, run forward on the
  /// calibration batches (no_grad), then `end`, which writes the averaged statistics.
  void begin_bn_recalibration();
  void end_bn_recalibration();

  /// L1 channel re-sort of every block (see ElasticBlockImpl::reorganize_channels).
  void reorganize_channels(int expand_stage = 0);

  /// Loads weights from another supernet of the same space (e.g. a teacher checkpoint).
  void copy_weights_from(const SupernetImpl& other);

  const space::SearchSpace& space() const { return space_; }

  torch::Tensor stem_weight;  ///< [stem, in, k, k]
  DynamicBatchNorm stem_bn{nullptr};
  torch::Tensor first_dw_weight, first_pw_weight;
  DynamicBatchNorm first_dw_bn{nullptr}, first_pw_bn{nullptr};
  std::vector<ElasticBlock> blocks;
  torch::Tensor final_expand_weight;  ///< mbv3 head only
  DynamicBatchNorm final_expand_bn{nullptr};
  torch::Tensor feature_mix_weight;
  DynamicBatchNorm feature_mix_bn{nullptr};  ///< proxyless head only
  torch::nn::Linear classifier{nullptr};

 private:
  std::vector<DynamicBatchNorm> all_bns() const;
  int64_t shard_first_ = 0, shard_global_ = 0;
  space::SearchSpace space_;
  SupernetOptions options_;
  space::Arch active_;
};
TORCH_MODULE(Supernet);

}  // namespace sparsenas::nn
