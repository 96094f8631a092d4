#pragma once
// One elastic MBConv block of the supernet: elastic kernel (centre crop + per-block transform
// matrices, OFA), elastic expand (first `mid` channels, with L1 re-sorting), dynamic BN and SE.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "sparsenas/nn/dynamic_batch_norm.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::nn {

/// One elastic inverted-residual block (MBConv): [1x1 expand, BN, act] -> [depthwise k x k,
/// BN, act, (SE)] -> [1x1 project, BN] (+ identity shortcut when stride 1 and in == out).
class ElasticBlockImpl : public torch::nn::Module {
 public:
  ElasticBlockImpl(const space::SearchSpace& space, int slot, bool kernel_transform);

  /// Active kernel size and expand ratio for the next forward calls.
  void set_active(int kernel_size, int expand_ratio);
  torch::Tensor forward(const torch::Tensor& x);

  /// The depthwise kernel of the active size for the first `mid` channels, transformed as OFA:
  /// k < stored: centre crop, flatten, multiply by the transform matrix, step by step.
  /// [mid, 1, k, k]
  torch::Tensor depthwise_weight(int64_t mid, int kernel_size) const;

  /// Sorts the middle channels by the L1 norm of the projection weights reading them, descending
  /// (OFA re_organize_middle_weights). `expand_stage > 0` sorts only inside the segments defined
  /// by the nested widths of the expand choices, keeping the nesting of earlier phases.
  void reorganize_channels(const std::vector<int>& expand_choices, int expand_stage);

  space::BlockLayout layout;
  int64_t max_mid = 0, max_se = 0;
  int active_kernel = 0, active_expand = 0;
  int64_t active_mid = 0;

  torch::Tensor expand_weight;   ///< [max_mid, in, 1, 1]
  DynamicBatchNorm expand_bn{nullptr};
  torch::Tensor dw_weight;       ///< [max_mid, 1, K, K]
  std::vector<torch::Tensor> transforms;  ///< per step K->k: [k*k, k*k], identity-initialised
  std::vector<int> transform_sizes;       ///< the target size of each transform, descending
  DynamicBatchNorm dw_bn{nullptr};
  torch::Tensor se_reduce_weight, se_reduce_bias, se_expand_weight, se_expand_bias;
  torch::Tensor project_weight;  ///< [out, max_mid, 1, 1]
  DynamicBatchNorm project_bn{nullptr};

 private:
  const space::SearchSpace* space_;
  int slot_;
};
TORCH_MODULE(ElasticBlock);

}  // namespace sparsenas::nn
