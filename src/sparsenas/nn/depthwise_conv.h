#pragma once
// The depthwise convolution of every MBConv block, supernet and static network alike, with the
// fastest correct path per shape and CPU: the convolution engine (oneDNN through torch::conv2d)
// or our own kernels (at::vec + at::parallel_for, channels-last), with forward and both gradients.
//
// Why: on AVX2 CPUs oneDNN 2.6 runs large depthwise kernels (5x5, 7x7) and their backward on a
// slow path; the largest ofa-mbv3 network then trains 3.7x and evaluates 12.6x slower than on an
// AVX-512 CPU while the 1x1 convolutions only halve (issue 16, BENCHMARKS.md "Depthwise
// convolutions on AVX2"). The choice per shape and ISA is `depthwise_path`.

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace sparsenas::nn {

/// Depthwise 2-D convolution with "same" padding (k / 2), no bias:
/// `torch::conv2d(x, w, {}, stride, k / 2, 1, C)` in value and in gradients (of x and of w).
/// `x`: float [N, C, H, W] (channels-last or NCHW), `w`: float [C, 1, k, k] with odd k.
/// The result is channels-last when `x` or `w` is (as torch::conv2d), NCHW otherwise.
/// Runs the path `depthwise_path` chooses for this shape on this CPU.
torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride);

/// The implementations of `depthwise_conv2d`.
enum class DepthwiseImpl {
  kEngine,      ///< torch::conv2d (oneDNN on CPU; the only path on other devices)
  kOwn,         ///< our kernels for the best instruction set this process may use (`own_isa`)
  kOwnDefault,  ///< our kernels, generic at::vec code (no AVX)
  kOwnAvx2,     ///< our kernels, AVX2 + FMA
  kOwnAvx512,   ///< our kernels, AVX-512 (F, BW, VL, DQ)
};

/// The instruction set of our kernels in this process: the best the CPU supports, capped by
/// ATEN_CPU_CAPABILITY (default|avx2|avx512) as ATen's own kernels are. kOwnDefault, kOwnAvx2 or
/// kOwnAvx512; read once.
DepthwiseImpl own_isa();

/// Which implementation runs each direction of one depthwise convolution: kEngine or one of our
/// kernels' builds (kOwn = `own_isa`). The directions may differ: our forward can feed the engine's
/// gradient and the other way round.
struct DepthwisePlan {
  DepthwiseImpl forward = DepthwiseImpl::kEngine;
  DepthwiseImpl input_grad = DepthwiseImpl::kEngine;
  DepthwiseImpl weight_grad = DepthwiseImpl::kEngine;
  /// The same implementation for every direction.
  static DepthwisePlan all(DepthwiseImpl impl) { return {impl, impl, impl}; }
  bool operator==(const DepthwisePlan& o) const {
    return forward == o.forward && input_grad == o.input_grad && weight_grad == o.weight_grad;
  }
};

/// The plan `depthwise_conv2d` runs for a float CPU input [N, C, H, W] convolved with a k x k
/// kernel at `stride`, `training` when a gradient will be asked for. Measured per shape, direction
/// and ISA (bench/depthwise_bench.cpp; BENCHMARKS.md "Depthwise path per shape and direction");
/// the rule and its reasons are in depthwise_conv.cpp. SNAS_DEPTHWISE=engine|own overrides it for
/// the whole process (every direction on that path; benchmarks); unset or `auto` keeps it.
/// Without `training` the gradient entries are kEngine (never run). The rule reads two ISAs: our
/// kernels' (`own_isa`, ATEN_CPU_CAPABILITY) and the engine's (the CPU's, capped by
/// ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA), since a user may cap one and not the other.
DepthwisePlan depthwise_path(int64_t channels, int64_t height, int64_t width, int64_t kernel_size,
                             int64_t stride, bool training);

namespace detail {

/// `depthwise_conv2d` through a given plan, for tests and benchmarks. Own kernels need a float CPU
/// tensor and a CPU that runs their instruction set (else throws naming both).
torch::Tensor depthwise_conv2d_with(const DepthwisePlan& plan, const torch::Tensor& x,
                                    const torch::Tensor& w, int64_t stride);
/// The same, every direction through `impl`.
torch::Tensor depthwise_conv2d_with(DepthwiseImpl impl, const torch::Tensor& x,
                                    const torch::Tensor& w, int64_t stride);

/// The engine's ISA rank (0 below AVX2, 1 AVX2, 2 AVX-512) on a CPU of rank `cpu_rank` under the
/// oneDNN cap `cap` (ONEDNN_MAX_CPU_ISA's value, any case: "" or "ALL" = no cap, "AVX2",
/// "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_AMX", "SSE41", ...; a name it does not know = no cap,
/// as oneDNN ignores it). A cap never raises the rank.
int capped_isa_rank(std::string cap, int cpu_rank);

/// Whether this CPU can run the own kernels of `impl` (kEngine and kOwnDefault: always).
bool cpu_supports(DepthwiseImpl impl);

}  // namespace detail
}  // namespace sparsenas::nn
