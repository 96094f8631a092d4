#pragma once
// Channels-last (NHWC) memory layout of parameters: converting a module and telling whether a
// weight already is. On CPU, oneDNN's fast convolutions need every operand channels-last.

#include <torch/torch.h>

namespace sparsenas::nn {

/// Re-strides every 4-D parameter to channels-last. LibTorch's C++ Module has no
/// `to(memory_format)` and `contiguous(ChannelsLast)` leaves ambiguous shapes such as
/// [C, 1, k, k] untouched, which silently disables channels-last (build-notes P3).
void to_channels_last(torch::nn::Module& module);

/// Whether a 4-D weight is laid out channels-last (channel stride 1). Unlike is_contiguous(), this
/// also tells the layouts of ambiguous shapes such as [16, 1, 3, 3] apart.
/// `inline`: checked on every supernet and block forward (see functional.h).
inline bool is_channels_last(const torch::Tensor& weight) {
  return weight.dim() == 4 && weight.stride(1) == 1 && weight.size(1) * weight.size(2) * weight.size(3) > 1;
}

}  // namespace sparsenas::nn
