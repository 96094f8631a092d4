#include "sparsenas/nn/dynamic_batch_norm.h"

#include <algorithm>

#include "sparsenas/core/error.h"
#include "sparsenas/dist/tensors.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/functional.h"

namespace sparsenas::nn {

using detail::head0;

DynamicBatchNormImpl::DynamicBatchNormImpl(int64_t max_channels, double eps, double momentum)
    : eps_(eps), momentum_(momentum) {
  bn = register_module("bn", torch::nn::BatchNorm2d(
                                 torch::nn::BatchNorm2dOptions(max_channels).eps(eps).momentum(momentum)));
}

torch::Tensor DynamicBatchNormImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  SNAS_INTERNAL_ASSERT(c <= bn->weight.size(0), "BN input has ", c, " channels, max ", bn->weight.size(0));
  const torch::Tensor weight = head0(bn->weight, c), bias = head0(bn->bias, c);
  if (recalibrating_) {
    // OFA set_running_statistics: normalise with this batch's statistics and remember them.
    const torch::Tensor mean = x.mean({0, 2, 3});
    const torch::Tensor var = (x - mean.view({1, c, 1, 1})).pow(2).mean({0, 2, 3});
    if (!sum_mean_.defined()) {
      sum_mean_ = torch::zeros_like(mean);
      sum_var_ = torch::zeros_like(var);
      channels_ = c;
    }
    SNAS_INTERNAL_ASSERT(c == channels_, "BN width changed during recalibration");
    sum_mean_ += mean * x.size(0);
    sum_var_ += var * x.size(0);
    seen_ += x.size(0);
    return torch::batch_norm(x, weight, bias, mean, var, /*training=*/false, 0.0, eps_,
                             /*cudnn_enabled=*/true);
  }
  if (sync_ && is_training() && dist::is_distributed()) return forward_synchronised(x, weight, bias);
  return torch::batch_norm(x, weight, bias, head0(bn->running_mean, c), head0(bn->running_var, c),
                           is_training(), momentum_, eps_, /*cudnn_enabled=*/true);
}

torch::Tensor DynamicBatchNormImpl::forward_synchronised(const torch::Tensor& x, const torch::Tensor& weight,
                                                         const torch::Tensor& bias) {
  // Two passes (mean, then the mean squared deviation), each summed over the ranks; the pixel
  // count travels with the first sum. In double, as ATen accumulates BN sums on the CPU: the
  // backward's sums nearly cancel, and in float the ranks would drift from one process.
  const int64_t c = x.size(1);
  const torch::Tensor xd = x.to(torch::kDouble);
  const torch::Tensor count = torch::full({1}, static_cast<double>(x.numel() / c), xd.options());
  const torch::Tensor sums = dist::all_reduce_sum_autograd(torch::cat({xd.sum({0, 2, 3}), count}));
  const torch::Tensor n = sums.narrow(0, c, 1).detach();
  const torch::Tensor mean = sums.narrow(0, 0, c) / n;
  const torch::Tensor centred = xd - mean.view({1, c, 1, 1});
  const torch::Tensor var = dist::all_reduce_sum_autograd(centred.pow(2).sum({0, 2, 3})) / n;
  {
    torch::NoGradGuard no_grad;
    const double total = n.item<double>();
    torch::Tensor running_mean = head0(bn->running_mean, c), running_var = head0(bn->running_var, c);
    running_mean.mul_(1 - momentum_).add_(mean.detach().to(running_mean.scalar_type()), momentum_);
    running_var.mul_(1 - momentum_).add_((var.detach() * (total / std::max(total - 1, 1.0))).to(running_var.scalar_type()),
                                         momentum_);
  }
  const torch::Tensor scale = torch::rsqrt(var + eps_).mul(weight.to(torch::kDouble));
  return (centred * scale.view({1, c, 1, 1}) + bias.to(torch::kDouble).view({1, c, 1, 1}))
      .to(x.scalar_type())
      .contiguous(x.suggest_memory_format());
}

void DynamicBatchNormImpl::begin_recalibration() {
  recalibrating_ = true;
  sum_mean_ = sum_var_ = torch::Tensor();
  seen_ = channels_ = 0;
}

void DynamicBatchNormImpl::end_recalibration() {
  recalibrating_ = false;
  if (seen_ == 0) return;  // this BN was not used by the active network
  torch::NoGradGuard no_grad;
  bn->running_mean.narrow(0, 0, channels_).copy_(sum_mean_ / static_cast<double>(seen_));
  bn->running_var.narrow(0, 0, channels_).copy_(sum_var_ / static_cast<double>(seen_));
  sum_mean_ = sum_var_ = torch::Tensor();
}

}  // namespace sparsenas::nn
