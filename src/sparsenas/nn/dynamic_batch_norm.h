#pragma once
// Batch normalisation over a prefix of the channels of a max-width BN (OFA DynamicBatchNorm2d).

#include <cstdint>

#include <torch/torch.h>

namespace sparsenas::nn {

/// Batch normalisation over the first C channels of a max-width BN. Running statistics are
/// shared by every sub-network, so a sub-network is evaluated after recalibrating them
/// (`Supernet::begin_bn_recalibration` / `end_bn_recalibration`).
class DynamicBatchNormImpl : public torch::nn::Module {
 public:
  DynamicBatchNormImpl(int64_t max_channels, double eps, double momentum);
  /// `x`: [N, C, H, W] with C <= max_channels.
  torch::Tensor forward(const torch::Tensor& x);

  /// While recalibrating, forward normalises with the batch statistics and accumulates the
  /// per-batch mean and biased variance, weighted by batch size (OFA set_running_statistics).
  void begin_recalibration();
  /// Writes the plain averages into running_mean[:C] / running_var[:C].
  void end_recalibration();

  torch::nn::BatchNorm2d bn{nullptr};

 private:
  double eps_, momentum_;
  bool recalibrating_ = false;
  torch::Tensor sum_mean_, sum_var_;
  int64_t seen_ = 0, channels_ = 0;
};
TORCH_MODULE(DynamicBatchNorm);

}  // namespace sparsenas::nn
