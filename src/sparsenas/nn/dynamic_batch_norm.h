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

  /// In training mode, normalise with the statistics of the whole batch over every rank of
  /// dist::world (synchronised BN: the mean and biased variance summed over the ranks, in two
  /// passes, differentiable), so that W ranks with 1/W of a batch each train as one process with
  /// the whole batch. Running statistics follow the same global statistics. No effect with one
  /// rank, in eval mode or while recalibrating. Off by default; the trainer turns it on.
  void set_sync_statistics(bool on) { sync_ = on; }
  bool sync_statistics() const { return sync_; }

  torch::nn::BatchNorm2d bn{nullptr};

 private:
  double eps_, momentum_;
  bool recalibrating_ = false;
  bool sync_ = false;
  torch::Tensor sum_mean_, sum_var_;
  int64_t seen_ = 0, channels_ = 0;

  torch::Tensor forward_synchronised(const torch::Tensor& x, const torch::Tensor& weight,
                                     const torch::Tensor& bias);
};
TORCH_MODULE(DynamicBatchNorm);

}  // namespace sparsenas::nn
