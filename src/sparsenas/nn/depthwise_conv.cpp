#include "sparsenas/nn/depthwise_conv.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/depthwise_kernels.h"

namespace sparsenas::nn {
namespace {

using detail::DepthwiseKernels;
using detail::DepthwiseShape;

std::string lower_env(const char* name) {
  const char* value = std::getenv(name);
  std::string s = value ? value : "";
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

DepthwiseImpl cpu_best_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("fma")) {
    return DepthwiseImpl::kOwnAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return DepthwiseImpl::kOwnAvx2;
  return DepthwiseImpl::kOwnDefault;
}

int isa_rank(DepthwiseImpl impl) {
  return impl == DepthwiseImpl::kOwnAvx512 ? 2 : impl == DepthwiseImpl::kOwnAvx2 ? 1 : 0;
}

const DepthwiseKernels& kernels_of(DepthwiseImpl impl) {
  SNAS_CHECK(detail::cpu_supports(impl), "the depthwise kernels of instruction set ",
             isa_rank(impl), " (0 generic, 1 AVX2, 2 AVX-512) do not run on this CPU");
  switch (impl) {
    case DepthwiseImpl::kOwnAvx512:
      return detail::depthwise_kernels_avx512();
    case DepthwiseImpl::kOwnAvx2:
      return detail::depthwise_kernels_avx2();
    default:
      return detail::depthwise_kernels_default();
  }
}

DepthwiseShape shape_of(const torch::Tensor& x, const torch::Tensor& w, int64_t stride) {
  DepthwiseShape s;
  s.channels = x.size(1);
  s.height = x.size(2);
  s.width = x.size(3);
  s.kernel = w.size(2);
  s.stride = stride;
  s.pad = s.kernel / 2;
  s.out_height = (s.height + 2 * s.pad - s.kernel) / stride + 1;
  s.out_width = (s.width + 2 * s.pad - s.kernel) / stride + 1;
  return s;
}

// Images per parallel chunk: at least ~64k multiply-adds, so that tiny maps stay on one thread.
int64_t grain_of(const DepthwiseShape& s) {
  const int64_t per_image =
      std::max<int64_t>(1, s.out_height * s.out_width * s.channels * s.kernel * s.kernel);
  return std::max<int64_t>(1, (int64_t{1} << 16) / per_image);
}

torch::Tensor as_channels_last(const torch::Tensor& t) {
  return t.contiguous(torch::MemoryFormat::ChannelsLast);
}

// [C, 1, k, k] -> [k * k, C], dense.
torch::Tensor taps_major(const torch::Tensor& w) {
  return w.reshape({w.size(0), -1}).t().contiguous();
}

// The memory format torch::conv2d gives its result for these operands.
bool result_channels_last(const torch::Tensor& x, const torch::Tensor& w) {
  return x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast ||
         w.suggest_memory_format() == torch::MemoryFormat::ChannelsLast;
}

torch::Tensor own_forward(const DepthwiseKernels& k, const torch::Tensor& x_cl,
                          const torch::Tensor& wt, const DepthwiseShape& s) {
  torch::Tensor y = torch::empty({x_cl.size(0), s.channels, s.out_height, s.out_width},
                                 x_cl.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const float* xp = x_cl.data_ptr<float>();
  const float* wp = wt.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  at::parallel_for(0, x_cl.size(0), grain_of(s),
                   [&](int64_t b, int64_t e) { k.forward(xp, wp, yp, s, b, e); });
  return y;
}

torch::Tensor own_backward_input(const DepthwiseKernels& k, const torch::Tensor& gy_cl,
                                 const torch::Tensor& wt, const DepthwiseShape& s) {
  torch::Tensor gx = torch::empty({gy_cl.size(0), s.channels, s.height, s.width},
                                  gy_cl.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const float* gp = gy_cl.data_ptr<float>();
  const float* wp = wt.data_ptr<float>();
  float* xp = gx.data_ptr<float>();
  at::parallel_for(0, gy_cl.size(0), grain_of(s),
                   [&](int64_t b, int64_t e) { k.backward_input(gp, wp, xp, s, b, e); });
  return gx;
}

// [C, 1, k, k]
torch::Tensor own_backward_weight(const DepthwiseKernels& k, const torch::Tensor& x_cl,
                                  const torch::Tensor& gy_cl, const DepthwiseShape& s) {
  const int64_t threads = at::get_num_threads();
  // One accumulator per thread, summed afterwards: no write conflicts, a fixed order per thread.
  torch::Tensor partial = torch::zeros({threads, s.kernel * s.kernel, s.channels}, x_cl.options());
  const float* xp = x_cl.data_ptr<float>();
  const float* gp = gy_cl.data_ptr<float>();
  float* pp = partial.data_ptr<float>();
  const int64_t slot = s.kernel * s.kernel * s.channels;
  at::parallel_for(0, x_cl.size(0), grain_of(s), [&](int64_t b, int64_t e) {
    const int64_t t = std::min<int64_t>(at::get_thread_num(), threads - 1);
    k.backward_weight(xp, gp, pp + t * slot, s, b, e);
  });
  torch::Tensor gw = threads == 1 ? partial[0] : partial.sum(0);
  return gw.t().reshape({s.channels, 1, s.kernel, s.kernel});
}

// [C, 1, k, k] in the layout the engine wants next to x.
torch::Tensor engine_weight(const torch::Tensor& x, const torch::Tensor& w) {
  // x's layout is ambiguous when it is dense in both (1x1 maps): it suggests NCHW then.
  const bool x_ambiguous = x.is_contiguous() && x.is_contiguous(torch::MemoryFormat::ChannelsLast);
  if ((x_ambiguous || x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast) &&
      !is_channels_last(w)) {
    // A transformed kernel is a fresh NCHW tensor, and contiguous(ChannelsLast) leaves the
    // ambiguous shape [C, 1, k, k] as it is. Left NCHW, oneDNN falls back to its gemm
    // convolution whenever the activation's layout is ambiguous too (1x1 maps at the end of the
    // network): measured 28 ms per call, 2x the whole step; 15-60 ms per call for 5x5 and 7x7
    // kernels on 1x1 maps at batch 128 (bench/depthwise_bench.cpp, before x_ambiguous was
    // added here). Force channels-last strides (on 1x1 maps the result is both layouts).
    return w.to(w.options(), /*non_blocking=*/false, /*copy=*/true,
                torch::MemoryFormat::ChannelsLast);
  }
  return w;
}

torch::Tensor engine(const torch::Tensor& x, const torch::Tensor& w, int64_t stride) {
  const int64_t pad = w.size(2) / 2;
  return torch::conv2d(x, engine_weight(x, w), {}, {stride, stride}, {pad, pad}, {1, 1}, w.size(0));
}

// The engine's gradient of the input (`input`) or of the weight, as torch::conv2d's backward.
torch::Tensor engine_grad(const torch::Tensor& gy, const torch::Tensor& x, const torch::Tensor& w,
                          int64_t stride, bool input) {
  const int64_t pad = w.size(2) / 2;
  auto grads = at::convolution_backward(gy, x, engine_weight(x, w), c10::nullopt, {stride, stride},
                                        {pad, pad}, {1, 1}, /*transposed=*/false, {0, 0}, w.size(0),
                                        {input, !input, false});
  return input ? std::get<0>(grads) : std::get<1>(grads);
}

// Throws (naming the ISA) when this CPU cannot run our kernels of `impl`; the engine always runs.
void kernels_of_checked(int64_t impl) {
  if (static_cast<DepthwiseImpl>(impl) != DepthwiseImpl::kEngine)
    (void)kernels_of(static_cast<DepthwiseImpl>(impl));
}

bool is_own(int64_t impl) { return static_cast<DepthwiseImpl>(impl) != DepthwiseImpl::kEngine; }

// Forward and both gradients, each direction through the engine or our kernels as planned. The
// input and the result's layout follow torch::conv2d; our kernels always run on channels-last
// copies (and the engine's directions get the same copies, its fast layout here).
class PlannedDepthwise : public torch::autograd::Function<PlannedDepthwise> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, int64_t stride, int64_t fwd, int64_t gx_impl,
                               int64_t gw_impl) {
    const bool channels_last = result_channels_last(x, w);
    const torch::Tensor x_cl = as_channels_last(x);
    torch::Tensor y = is_own(fwd) ? own_forward(kernels_of(static_cast<DepthwiseImpl>(fwd)), x_cl,
                                                taps_major(w), shape_of(x, w, stride))
                                  : engine(x_cl, w, stride);
    ctx->save_for_backward({x_cl, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["gx_impl"] = gx_impl;
    ctx->saved_data["gw_impl"] = gw_impl;
    ctx->saved_data["channels_last"] = channels_last;
    return channels_last ? y : y.contiguous();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x_cl = saved[0];
    const torch::Tensor& w = saved[1];
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const int64_t gx_impl = ctx->saved_data["gx_impl"].toInt(),
                  gw_impl = ctx->saved_data["gw_impl"].toInt();
    const DepthwiseShape s = shape_of(x_cl, w, stride);
    const torch::Tensor gy = as_channels_last(grads[0]);
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) {
      gx = is_own(gx_impl) ? own_backward_input(kernels_of(static_cast<DepthwiseImpl>(gx_impl)), gy,
                                                taps_major(w), s)
                           : engine_grad(gy, x_cl, w, stride, /*input=*/true);
      if (!ctx->saved_data["channels_last"].toBool()) gx = gx.contiguous();
    }
    if (ctx->needs_input_grad(1)) {
      gw = is_own(gw_impl)
               ? own_backward_weight(kernels_of(static_cast<DepthwiseImpl>(gw_impl)), x_cl, gy, s)
               : engine_grad(gy, x_cl, w, stride, /*input=*/false).contiguous();
    }
    return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

DepthwiseImpl own_isa() {
  static const DepthwiseImpl isa = [] {
    const DepthwiseImpl cpu = cpu_best_isa();
    const std::string cap = lower_env("ATEN_CPU_CAPABILITY");
    const DepthwiseImpl capped = cap == "default" ? DepthwiseImpl::kOwnDefault
                                 : cap == "avx2"  ? DepthwiseImpl::kOwnAvx2
                                                  : DepthwiseImpl::kOwnAvx512;
    return isa_rank(capped) < isa_rank(cpu) ? capped : cpu;
  }();
  return isa;
}

namespace {

// The instruction set oneDNN (LibTorch's convolution engine) runs with: the CPU's best, capped by
// ONEDNN_MAX_CPU_ISA (or its older name DNNL_MAX_CPU_ISA) the way oneDNN reads it. Distinct from
// own_isa(), which follows ATEN_CPU_CAPABILITY: a user may cap one and not the other, and the
// plan's gemm-fallback rule is about the engine's ISA. Ranks as isa_rank (2 = AVX-512).
int engine_isa_rank() {
  static const int rank = [] {
    std::string cap = lower_env("ONEDNN_MAX_CPU_ISA");
    if (cap.empty()) cap = lower_env("DNNL_MAX_CPU_ISA");
    return detail::capped_isa_rank(cap, isa_rank(cpu_best_isa()));
  }();
  return rank;
}

}  // namespace

DepthwisePlan depthwise_path(int64_t channels, int64_t height, int64_t width, int64_t kernel_size,
                             int64_t stride, bool training) {
  static const std::string forced = lower_env("SNAS_DEPTHWISE");
  if (forced == "engine") return DepthwisePlan::all(DepthwiseImpl::kEngine);
  if (forced == "own") return DepthwisePlan::all(own_isa());
  SNAS_CHECK(forced.empty() || forced == "auto",
             "SNAS_DEPTHWISE must be one of auto, engine, own, got '", forced, "'");
  (void)channels;
  // Measured per shape and direction on ofa-mbv3's depthwise shapes at 28x28 (batch 128 for
  // training, 500 for evaluation; bench/depthwise_bench.cpp, BENCHMARKS.md "Depthwise path per
  // shape and direction"), AMD EPYC Zen 4, oneDNN 2.6, natively (AVX-512) and capped to AVX2:
  // - oneDNN's direct depthwise kernels (jit_dw, brdgmm_dw) beat ours in the forward and the
  //   input gradient on maps of 4x4 and more (up to 4x on AVX-512, 8x on AVX2; a few tie). Ours
  //   win the forward only where the output is a 1x1 map (up to 1.8x on AVX-512; for k >= 5
  //   oneDNN's AVX2 forward takes its gemm fallback, 34-146 ms against 0.1 ms) and, on AVX2,
  //   where the window overhangs the map (k / 2 > output size: gemm fallback, 32-134 ms against
  //   0.07-0.6 ms). The input gradient is always the engine's.
  // - The engine's weight gradient is fast only for 3x3 kernels on maps of 4x4 or more (ours is
  //   1.3-6x slower there). For 5x5 and 7x7 kernels (oneDNN's generic jit:avx512_core/avx2
  //   kernel, 1.7-69x slower than ours) and on 2x2 and 1x1 maps (jit:avx512_core or, on AVX2,
  //   x64:gemm:jit, 2.9-105x slower) ours win.
  const DepthwiseImpl own = own_isa();
  const int64_t pad = kernel_size / 2;
  const int64_t out_h = (height + 2 * pad - kernel_size) / stride + 1;
  const int64_t out_w = (width + 2 * pad - kernel_size) / stride + 1;
  const int64_t out_min = std::min(out_h, out_w);
  const bool engine_forward_gemm = engine_isa_rank() < 2 && pad > out_min;
  DepthwisePlan plan;
  plan.forward = (out_h * out_w == 1 || engine_forward_gemm) ? own : DepthwiseImpl::kEngine;
  if (training) {
    plan.input_grad = DepthwiseImpl::kEngine;
    plan.weight_grad =
        (kernel_size == 3 && std::min(height, width) >= 4) ? DepthwiseImpl::kEngine : own;
  }
  return plan;
}

torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride) {
  if (!x.is_cpu() || x.scalar_type() != torch::kFloat || w.scalar_type() != torch::kFloat) {
    return engine(x, w, stride);
  }
  const bool training = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad());
  return detail::depthwise_conv2d_with(
      depthwise_path(x.size(1), x.size(2), x.size(3), w.size(2), stride, training), x, w, stride);
}

namespace detail {

int capped_isa_rank(std::string cap, int cpu_rank) {
  std::transform(cap.begin(), cap.end(), cap.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const auto starts = [&](const char* prefix) { return cap.rfind(prefix, 0) == 0; };
  int capped = cpu_rank;  // "", "all" and names oneDNN does not know: no cap, as oneDNN
  if (starts("avx512") || starts("avx10")) capped = 2;
  else if (starts("avx2")) capped = 1;
  else if (cap == "sse41" || cap == "avx") capped = 0;
  return std::min(cpu_rank, capped);
}

bool cpu_supports(DepthwiseImpl impl) {
  if (impl == DepthwiseImpl::kEngine || impl == DepthwiseImpl::kOwnDefault) return true;
  if (impl == DepthwiseImpl::kOwn) return true;
  return isa_rank(impl) <= isa_rank(cpu_best_isa());
}

torch::Tensor depthwise_conv2d_with(const DepthwisePlan& plan, const torch::Tensor& x,
                                    const torch::Tensor& w, int64_t stride) {
  SNAS_CHECK(x.dim() == 4 && w.dim() == 4 && w.size(0) == x.size(1) && w.size(1) == 1 &&
                 w.size(2) == w.size(3) && w.size(2) % 2 == 1,
             "depthwise_conv2d expects x [N, C, H, W] and w [C, 1, k, k] with odd k, got x ",
             x.sizes(), " and w ", w.sizes());
  SNAS_CHECK(stride >= 1, "depthwise_conv2d stride must be >= 1, got ", stride);
  if (plan == DepthwisePlan::all(DepthwiseImpl::kEngine))
    return engine(x, w, stride);  // plain torch::conv2d
  auto resolve = [](DepthwiseImpl impl) {
    return static_cast<int64_t>(impl == DepthwiseImpl::kOwn ? own_isa() : impl);
  };
  const int64_t fwd = resolve(plan.forward), gx = resolve(plan.input_grad),
                gw = resolve(plan.weight_grad);
  SNAS_CHECK(x.is_cpu() && x.scalar_type() == torch::kFloat && w.is_cpu() &&
                 w.scalar_type() == torch::kFloat,
             "own depthwise kernels need float CPU tensors, got ", x.toString(), " and ",
             w.toString());
  for (int64_t impl : {fwd, gx, gw}) kernels_of_checked(impl);
  return PlannedDepthwise::apply(x, w, stride, fwd, gx, gw);
}

torch::Tensor depthwise_conv2d_with(DepthwiseImpl impl, const torch::Tensor& x,
                                    const torch::Tensor& w, int64_t stride) {
  return depthwise_conv2d_with(DepthwisePlan::all(impl), x, w, stride);
}

}  // namespace detail
}  // namespace sparsenas::nn
