#pragma once
// A plain network of one architecture, built from standard LibTorch layers (Conv2d, BatchNorm2d,
// Linear). It is what `Supernet::extract` returns and what exporters save; tests use it as the
// independent reference for the supernet.

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "sparsenas/space/search_space.h"

namespace sparsenas::nn {

/// Called after every conv and linear layer with the layer's weight and its output; used to
/// count MACs over the real module (weight.numel() * H_out * W_out per image).
using LayerObserver = std::function<void(const torch::Tensor& weight, const torch::Tensor& output)>;

class StaticBlockImpl : public torch::nn::Module {
 public:
  StaticBlockImpl(const space::SearchSpace& space, int slot, int kernel_size, int expand_ratio);
  torch::Tensor forward(const torch::Tensor& x, const LayerObserver* observer = nullptr);

  space::BlockLayout layout;
  int64_t mid = 0, se_mid = 0;
  bool has_expand = true;
  torch::nn::Conv2d expand{nullptr}, dw{nullptr}, se_reduce{nullptr}, se_expand{nullptr},
      project{nullptr};
  torch::nn::BatchNorm2d expand_bn{nullptr}, dw_bn{nullptr}, project_bn{nullptr};
};
TORCH_MODULE(StaticBlock);

class StaticNetImpl : public torch::nn::Module {
 public:
  StaticNetImpl(const space::SearchSpace& space, const space::Arch& arch);
  torch::Tensor forward(const torch::Tensor& x, const LayerObserver* observer = nullptr);

  /// MACs of one image counted over the real layers and output shapes.
  int64_t count_macs(int64_t height, int64_t width);

  space::Arch arch;
  space::SpaceSpec spec;
  torch::nn::Conv2d stem{nullptr}, first_dw{nullptr}, first_pw{nullptr}, final_expand{nullptr},
      feature_mix{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr}, first_dw_bn{nullptr}, first_pw_bn{nullptr},
      final_expand_bn{nullptr}, feature_mix_bn{nullptr};
  std::vector<StaticBlock> blocks;  ///< active blocks only, in order
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
  bool first_residual = false;
};
TORCH_MODULE(StaticNet);

}  // namespace sparsenas::nn
