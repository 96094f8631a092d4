#pragma once
// Stateless tensor functions the elastic and static layers are built from: activations, and (in
// `detail`) the slicing, convolution and initialisation helpers of the dynamic layers.
//
// NOTE: everything here is `inline` on purpose. These helpers run several times per block on every
// training step; they were file-local (and inlined) when the whole supernet was one translation
// unit, and the build has no LTO, so moving them out of line would add a call per use.

#include <cmath>
#include <cstdint>

#include <torch/torch.h>

#include "sparsenas/space/search_space.h"

namespace sparsenas::nn {

/// Applies a search-space activation.
inline torch::Tensor activate(const torch::Tensor& x, space::Activation act) {
  switch (act) {
    case space::Activation::kIdentity: return x;
    case space::Activation::kRelu: return torch::relu(x);
    case space::Activation::kRelu6: return torch::hardtanh(x, 0.0, 6.0);
    case space::Activation::kHSwish: return torch::hardswish(x);
  }
  return x;
}

namespace detail {

/// He "fan_out" initialisation, as OFA's init_models('he_fout'): N(0, sqrt(2 / (k*k*out))).
/// `w`: [out, in, k, k], filled in place.
inline void init_conv(torch::Tensor& w, int64_t out_channels) {
  const double fan_out = static_cast<double>(w.size(2) * w.size(3) * out_channels);
  torch::NoGradGuard no_grad;
  w.normal_(0.0, std::sqrt(2.0 / fan_out));
}

/// The first n entries along dim 0, without slicing (and without the slice backward) when n is all.
inline torch::Tensor head0(const torch::Tensor& t, int64_t n) { return n == t.size(0) ? t : t.narrow(0, 0, n); }
/// The first n entries along dim 1, without slicing when n is all.
inline torch::Tensor head1(const torch::Tensor& t, int64_t n) { return n == t.size(1) ? t : t.narrow(1, 0, n); }

/// 2-D convolution with "same" padding (k / 2) for odd kernels; `w`: [out, in / groups, k, k].
inline torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, int64_t stride = 1, int64_t groups = 1,
                          const torch::Tensor& bias = {}) {
  const int64_t pad = w.size(2) / 2;
  return torch::conv2d(x, w, bias, {stride, stride}, {pad, pad}, {1, 1}, groups);
}

}  // namespace detail
}  // namespace sparsenas::nn
