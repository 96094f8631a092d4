#pragma once
// Our depthwise convolution kernels, one build per instruction set (internal to depthwise_conv.cpp).
// Tensors are float, channels-last (NHWC) and dense; the weight is [k * k, C] (tap-major, so that
// the channels of one tap are contiguous). Each kernel handles images [n_begin, n_end) serially;
// depthwise_conv.cpp splits the batch over threads.

#include <cstdint>

namespace sparsenas::nn::detail {

/// One depthwise convolution: input [N, height, width, channels], a kernel x kernel window at
/// `stride`, zero padding `pad` on every side, output [N, out_height, out_width, channels].
struct DepthwiseShape {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel = 0, stride = 1, pad = 0;
  int64_t out_height = 0, out_width = 0;
};

/// The kernels of one instruction set.
struct DepthwiseKernels {
  /// y[n, oh, ow, c] = sum over taps (i, j) inside the input of
  ///                   x[n, oh * stride - pad + i, ow * stride - pad + j, c] * w[i * kernel + j, c]
  void (*forward)(const float* x, const float* w, float* y, const DepthwiseShape& shape, int64_t n_begin,
                  int64_t n_end);
  /// gx[n, h, v, c] = sum over (oh, ow, i, j) with oh * stride - pad + i = h, ow * stride - pad + j = v
  ///                  of gy[n, oh, ow, c] * w[i * kernel + j, c]   (overwrites gx)
  void (*backward_input)(const float* gy, const float* w, float* gx, const DepthwiseShape& shape,
                         int64_t n_begin, int64_t n_end);
  /// gw[i * kernel + j, c] += sum over n in [n_begin, n_end), oh, ow (inside the input) of
  ///                          x[n, oh * stride - pad + i, ow * stride - pad + j, c] * gy[n, oh, ow, c]
  void (*backward_weight)(const float* x, const float* gy, float* gw, const DepthwiseShape& shape,
                          int64_t n_begin, int64_t n_end);
};

/// Generic at::vec code (no AVX; runs everywhere).
const DepthwiseKernels& depthwise_kernels_default();
/// AVX2 + FMA: call only on a CPU that has them.
const DepthwiseKernels& depthwise_kernels_avx2();
/// AVX-512 F/BW/VL/DQ: call only on a CPU that has them.
const DepthwiseKernels& depthwise_kernels_avx512();

}  // namespace sparsenas::nn::detail
