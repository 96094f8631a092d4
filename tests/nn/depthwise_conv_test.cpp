// Unit tests for src/sparsenas/nn/depthwise_conv.h: every path against torch::conv2d run in double
// precision (LibTorch's own slow convolution, independent of oneDNN and of our kernels), forward
// and the gradients of input and weight, for every kernel size, stride 1 and 2, channels-last and
// NCHW, odd map sizes and channel counts that leave vector tails.
#include "sparsenas/nn/depthwise_conv.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "support/error_of.h"
#include "support/seeded_test.h"
#include "support/tensor_compare.h"

namespace sparsenas::nn {
namespace {

using test::max_diff;

class DepthwiseConvTest : public test::SeededTest {};

struct Shape {
  int64_t n, c, h, w;
};

std::string name_of(DepthwiseImpl impl) {
  switch (impl) {
    case DepthwiseImpl::kEngine:
      return "engine";
    case DepthwiseImpl::kOwn:
      return "own";
    case DepthwiseImpl::kOwnDefault:
      return "own-default";
    case DepthwiseImpl::kOwnAvx2:
      return "own-avx2";
    case DepthwiseImpl::kOwnAvx512:
      return "own-avx512";
  }
  return "?";
}

// Paths under test on this CPU: every own build it runs, the automatic choice, and the engine.
std::vector<DepthwiseImpl> impls_here() {
  std::vector<DepthwiseImpl> out;
  for (DepthwiseImpl impl :
       {DepthwiseImpl::kOwnDefault, DepthwiseImpl::kOwnAvx2, DepthwiseImpl::kOwnAvx512,
        DepthwiseImpl::kOwn, DepthwiseImpl::kEngine}) {
    if (detail::cpu_supports(impl)) out.push_back(impl);
  }
  return out;
}

struct Result {
  torch::Tensor y, gx, gw;
};

// conv(x, w) with the loss sum(y * g); returns y and the gradients of x and w.
template <typename Conv>
Result run(const Conv& conv, const torch::Tensor& x0, const torch::Tensor& w0,
           const torch::Tensor& g) {
  torch::Tensor x = x0.detach().clone(x0.suggest_memory_format()).requires_grad_(true);
  torch::Tensor w = w0.detach().clone().requires_grad_(true);
  torch::Tensor y = conv(x, w);
  (y * g.to(y.scalar_type())).sum().backward();
  return {y.detach(), x.grad(), w.grad()};
}

std::string name_of(const DepthwisePlan& plan) {
  if (plan == DepthwisePlan::all(plan.forward)) return name_of(plan.forward);
  return "forward " + name_of(plan.forward) + ", input grad " + name_of(plan.input_grad) +
         ", weight grad " + name_of(plan.weight_grad);
}

void expect_matches_conv2d(const DepthwisePlan& plan, const Shape& sh, int64_t k, int64_t stride,
                           bool channels_last) {
  const std::string what = name_of(plan) + " k" + std::to_string(k) + " s" +
                           std::to_string(stride) + " " + std::to_string(sh.n) + "x" +
                           std::to_string(sh.c) + "x" + std::to_string(sh.h) + "x" +
                           std::to_string(sh.w) + (channels_last ? " channels-last" : " NCHW");
  torch::Tensor x = torch::randn({sh.n, sh.c, sh.h, sh.w});
  if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor w = torch::randn({sh.c, 1, k, k}) * 0.3;
  const int64_t pad = k / 2;
  const int64_t oh = (sh.h + 2 * pad - k) / stride + 1, ow = (sh.w + 2 * pad - k) / stride + 1;
  const torch::Tensor g = torch::randn({sh.n, sh.c, oh, ow}, torch::kDouble);

  const Result ref = run(
      [&](const torch::Tensor& a, const torch::Tensor& b) {
        return torch::conv2d(a.to(torch::kDouble), b.to(torch::kDouble), {}, stride, pad, 1, sh.c);
      },
      x, w, g);
  const Result got =
      run([&](const torch::Tensor& a,
              const torch::Tensor& b) { return detail::depthwise_conv2d_with(plan, a, b, stride); },
          x, w, g);
  // float accumulation of at most 49 (forward, input grad) or N*H*W (weight grad) products of
  // O(1) values: 1e-4 relative to the largest magnitude is float rounding, a wrong tap is O(1).
  auto tol = [](const torch::Tensor& t) {
    return 1e-4 * std::max(1.0, t.abs().max().item<double>());
  };
  ASSERT_EQ(got.y.sizes(), ref.y.sizes()) << what;
  EXPECT_LT(max_diff(got.y.to(torch::kDouble), ref.y), tol(ref.y)) << what;
  EXPECT_LT(max_diff(got.gx.to(torch::kDouble), ref.gx), tol(ref.gx)) << what;
  EXPECT_LT(max_diff(got.gw.to(torch::kDouble), ref.gw), tol(ref.gw)) << what;
  // Same layout as torch::conv2d gives for the same float operands (1x1 maps have no layout).
  const torch::Tensor engine_y = torch::conv2d(x, w, {}, stride, pad, 1, sh.c);
  if (oh * ow > 1) {
    EXPECT_EQ(got.y.suggest_memory_format(), engine_y.suggest_memory_format()) << what;
  }
  if (sh.h * sh.w > 1) {
    EXPECT_EQ(got.gx.suggest_memory_format(), x.suggest_memory_format()) << what;
  }
}

TEST_F(DepthwiseConvTest, EveryPathMatchesConv2dForwardAndGradients) {
  // 69 channels = 4 AVX-512 vectors + 5, 8 AVX2 vectors + 5; 1x1, 2x2 and odd maps.
  const std::vector<Shape> shapes = {
      {2, 69, 9, 7}, {3, 20, 5, 11}, {2, 37, 2, 2}, {2, 72, 1, 1}, {1, 16, 14, 14}};
  for (DepthwiseImpl impl : impls_here()) {
    for (const Shape& sh : shapes) {
      for (int64_t k : {3, 5, 7}) {
        for (int64_t stride : {1, 2}) {
          for (bool channels_last : {true, false}) {
            expect_matches_conv2d(DepthwisePlan::all(impl), sh, k, stride, channels_last);
          }
        }
      }
    }
  }
}

TEST_F(DepthwiseConvTest, TwoThreadsMatchConv2d) {
  // Enough work per image that the batch splits over both threads (and the weight gradient sums
  // two per-thread accumulators).
  torch::set_num_threads(2);
  for (DepthwiseImpl impl : impls_here()) {
    for (int64_t stride : {1, 2})
      expect_matches_conv2d(DepthwisePlan::all(impl), {6, 69, 13, 9}, 7, stride, true);
  }
}

TEST_F(DepthwiseConvTest, MixedPlansMatchConv2d) {
  // Every mix of the engine and our kernels over the three directions (depthwise_path picks them
  // per shape), on a map with padding on every side and on a 1x1 map.
  const DepthwiseImpl own = own_isa(), eng = DepthwiseImpl::kEngine;
  for (DepthwiseImpl f : {own, eng}) {
    for (DepthwiseImpl gi : {own, eng}) {
      for (DepthwiseImpl gw : {own, eng}) {
        for (const Shape& sh : std::vector<Shape>{{2, 69, 9, 7}, {2, 72, 1, 1}}) {
          for (int64_t k : {3, 7}) {
            for (int64_t stride : {1, 2}) {
              for (bool channels_last : {true, false}) {
                expect_matches_conv2d({f, gi, gw}, sh, k, stride, channels_last);
              }
            }
          }
        }
      }
    }
  }
}

TEST_F(DepthwiseConvTest, AutomaticPlanMatchesConv2dOnEveryNetworkShape) {
  // What depthwise_conv2d runs (depthwise_path) on the shapes of ofa-mbv3 at 28x28: training and
  // evaluation, every kernel size, the map sizes 14 to 1 with their strides.
  for (const auto& [c, h, stride] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{16, 14, 1},
                                                          {48, 14, 2},
                                                          {72, 7, 1},
                                                          {144, 7, 2},
                                                          {160, 4, 1},
                                                          {240, 4, 2},
                                                          {336, 2, 1},
                                                          {672, 2, 2},
                                                          {960, 1, 1}}) {
    for (int64_t k : {3, 5, 7}) {
      for (bool training : {true, false}) {
        expect_matches_conv2d(depthwise_path(c, h, h, k, stride, training), {2, c, h, h}, k, stride,
                              true);
      }
    }
  }
}

TEST_F(DepthwiseConvTest, DefaultPathMatchesConv2dWithoutGradOfInputAndWithoutGrad) {
  const torch::Tensor x = torch::randn({2, 24, 7, 7}).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor w = torch::randn({24, 1, 5, 5}).requires_grad_(true);
  const torch::Tensor y = depthwise_conv2d(x, w, 2);  // x needs no gradient
  y.sum().backward();
  const torch::Tensor wr = w.detach().clone().requires_grad_(true);
  torch::conv2d(x, wr, {}, 2, 2, 1, 24).sum().backward();
  EXPECT_LT(max_diff(w.grad(), wr.grad()), 1e-4);
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_diff(depthwise_conv2d(x, w, 1), torch::conv2d(x, w, {}, 1, 2, 1, 24)), 1e-4);
}

TEST_F(DepthwiseConvTest, RejectsNonDepthwiseShapes) {
  const torch::Tensor x = torch::randn({1, 8, 5, 5});
  EXPECT_TRUE(test::contains(test::error_of([&] {
                               depthwise_conv2d(x, torch::randn({8, 2, 3, 3}), 1);
                             }),
                             "[C, 1, k, k]"));
  EXPECT_TRUE(test::contains(test::error_of([&] {
                               depthwise_conv2d(x, torch::randn({8, 1, 4, 4}), 1);
                             }),
                             "odd k"));
}

TEST(DepthwiseEngineIsa, ReadsOneDnnCapsAndNeverRaisesTheCpu) {
  // The gemm-fallback rule of depthwise_path follows the engine's ISA, which oneDNN caps by
  // ONEDNN_MAX_CPU_ISA: its values as oneDNN spells them, on an AVX-512 (2) and an AVX2 (1) CPU.
  EXPECT_EQ(detail::capped_isa_rank("", 2), 2);
  EXPECT_EQ(detail::capped_isa_rank("ALL", 2), 2);
  EXPECT_EQ(detail::capped_isa_rank("AVX2", 2), 1);
  EXPECT_EQ(detail::capped_isa_rank("avx2_vnni", 2), 1);
  EXPECT_EQ(detail::capped_isa_rank("AVX512_CORE", 2), 2);
  EXPECT_EQ(detail::capped_isa_rank("AVX512_CORE_AMX", 2), 2);
  EXPECT_EQ(detail::capped_isa_rank("SSE41", 2), 0);
  EXPECT_EQ(detail::capped_isa_rank("AVX", 2), 0);
  EXPECT_EQ(detail::capped_isa_rank("AVX512_CORE", 1), 1);
  EXPECT_EQ(detail::capped_isa_rank("ALL", 1), 1);
  EXPECT_EQ(detail::capped_isa_rank("AVX10_1_512", 2), 2);
  EXPECT_EQ(detail::capped_isa_rank("bogus", 2), 2);   // unknown: oneDNN ignores it
  EXPECT_EQ(detail::capped_isa_rank("avx_foo", 2), 2);
}

}  // namespace
}  // namespace sparsenas::nn
