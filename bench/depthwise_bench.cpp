// Per-shape timing of the depthwise convolution paths (nn/depthwise_conv.h): the engine
// (torch::conv2d, oneDNN) against our own kernels, for every depthwise shape of ofa-mbv3 at the
// Fashion-MNIST shape (28x28x1) and each direction: forward without gradient (evaluation, batch
// 500), forward with gradient, gradient of the input, gradient of the weight (training, batch 128).
// The numbers behind `depthwise_path` (BENCHMARKS.md, "Depthwise path per shape and direction").
// Run: ./build/bench/sparsenas_depthwise_bench [repetitions (5)]  -- prints one CSV row per shape;
// the engine's ISA follows ONEDNN_MAX_CPU_ISA, ours ATEN_CPU_CAPABILITY (as in training).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <tuple>
#include <vector>

#include "sparsenas/nn/cpu_threads.h"
#include "sparsenas/nn/depthwise_conv.h"
#include "sparsenas/space/search_space.h"

namespace {

using namespace sparsenas;
using nn::DepthwiseImpl;

struct Shape {
  int64_t c, h, k, stride;
  bool operator<(const Shape& o) const {
    return std::tie(c, h, k, stride) < std::tie(o.c, o.h, o.k, o.stride);
  }
};

// Every depthwise convolution ofa-mbv3 runs at 28x28: the first block (3x3) and each slot's for
// every expand ratio and kernel size.
std::vector<Shape> network_shapes() {
  space::SpaceOptions options;
  options.resolution = 28;
  options.in_channels = 1;
  options.num_classes = 10;
  const auto space = space::SearchSpace::from_name("ofa-mbv3", options);
  const auto& spec = space.spec();
  int64_t h = (spec.resolution - 1) / spec.stem_stride + 1;
  std::set<Shape> shapes{{space.stem_width(), h, 3, 1}};
  for (int slot = 0; slot < space.num_slots(); ++slot) {
    const auto& b = space.blocks()[slot];
    const auto& stage = spec.stages[b.stage];
    for (int e : stage.expands) {
      for (int k : stage.kernels) shapes.insert({space.mid_channels(slot, e), h, k, b.stride});
    }
    h = (h - 1) / b.stride + 1;
  }
  return {shapes.begin(), shapes.end()};
}

// Median over `reps` of the mean time of one call, each repetition running >= 10 ms.
double median_ms(const std::function<void()>& f, int reps) {
  f();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    int64_t n = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      f();
      ++n;
      elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
    } while (elapsed < 10.0);
    t.push_back(elapsed / static_cast<double>(n));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Times {
  double fwd_eval, fwd_train, bwd_input, bwd_weight;
};

Times measure(DepthwiseImpl impl, const Shape& s, int reps) {
  const int64_t pad = s.k / 2, oh = (s.h + 2 * pad - s.k) / s.stride + 1;
  auto cl = [](torch::Tensor t) { return t.contiguous(torch::MemoryFormat::ChannelsLast); };
  const torch::Tensor w = torch::randn({s.c, 1, s.k, s.k}) * 0.2;
  const torch::Tensor x_eval = cl(torch::randn({500, s.c, s.h, s.h}));
  const torch::Tensor x = cl(torch::randn({128, s.c, s.h, s.h}));
  const torch::Tensor g = cl(torch::randn({128, s.c, oh, oh}));
  Times t{};
  {
    torch::NoGradGuard no_grad;
    t.fwd_eval =
        median_ms([&] { nn::detail::depthwise_conv2d_with(impl, x_eval, w, s.stride); }, reps);
  }
  const torch::Tensor xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
  t.fwd_train = median_ms([&] { nn::detail::depthwise_conv2d_with(impl, xg, wg, s.stride); }, reps);
  {
    const torch::Tensor y = nn::detail::depthwise_conv2d_with(impl, xg, w, s.stride);
    t.bwd_input =
        median_ms([&] { torch::autograd::grad({y}, {xg}, {g}, /*retain_graph=*/true); }, reps);
  }
  {
    const torch::Tensor y = nn::detail::depthwise_conv2d_with(impl, x, wg, s.stride);
    t.bwd_weight =
        median_ms([&] { torch::autograd::grad({y}, {wg}, {g}, /*retain_graph=*/true); }, reps);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  const char* threads = std::getenv("SNAS_THREADS");
  nn::configure_cpu_threads(threads ? std::atoi(threads) : 2);
  torch::manual_seed(0);
  std::printf(
      "channels,size,kernel,stride,own_isa,"
      "fwd_eval_engine_ms,fwd_eval_own_ms,fwd_train_engine_ms,fwd_train_own_ms,"
      "bwd_input_engine_ms,bwd_input_own_ms,bwd_weight_engine_ms,bwd_weight_own_ms\n");
  const DepthwiseImpl own = nn::own_isa();
  for (const Shape& s : network_shapes()) {
    const Times e = measure(DepthwiseImpl::kEngine, s, reps);
    const Times o = measure(own, s, reps);
    std::printf("%ld,%ld,%ld,%ld,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n",
                static_cast<long>(s.c), static_cast<long>(s.h), static_cast<long>(s.k),
                static_cast<long>(s.stride),
                own == DepthwiseImpl::kOwnAvx512 ? "avx512"
                : own == DepthwiseImpl::kOwnAvx2 ? "avx2"
                                                 : "default",
                e.fwd_eval, o.fwd_eval, e.fwd_train, o.fwd_train, e.bwd_input, o.bwd_input,
                e.bwd_weight, o.bwd_weight);
    std::fflush(stdout);
  }
  return 0;
}
