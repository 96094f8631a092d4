// Training-step, evaluation and BN-recalibration throughput of the elastic supernet against the
// extracted static network, at the Fashion-MNIST shape (28x28x1, 10 classes, batch 128).
// Run: ./build/bench/sparsenas_nn_bench --benchmark_min_time=... (see BENCHMARKS.md).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>

#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/train/optimizer.h"
#include "sparsenas/train/train_config.h"

namespace {

using namespace sparsenas;

constexpr int64_t kBatch = 128;

int bench_threads() {
  const char* env = std::getenv("SNAS_THREADS");
  return env ? std::atoi(env) : 2;
}

space::SearchSpace fmnist_space() {
  space::SpaceOptions options;
  options.resolution = 28;
  options.in_channels = 1;
  options.num_classes = 10;
  return space::SearchSpace::from_name("ofa-mbv3", options);
}

std::unique_ptr<torch::optim::SGD> make_sgd(torch::nn::Module& module) {
  train::TrainConfig config;  // SGD, Nesterov 0.9, wd 3e-5 without BN and biases, as training
  config.lr = 0.05;
  return train::build_optimizer(module, config);
}

torch::Tensor input_batch(bool channels_last, int64_t n = kBatch) {
  torch::Tensor x = torch::randn({n, 1, 28, 28});
  // The stem weight decides the layout of every later activation; the input is ambiguous (C = 1).
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

std::vector<space::Arch> archs_for(const space::SearchSpace& space, int which, int count) {
  if (which == 0) return {space.max_arch()};
  if (which == 1) return {space.min_arch()};
  Rng rng(42);
  std::vector<space::Arch> out;
  for (int i = 0; i < count; ++i) out.push_back(space.sample(rng));
  return out;
}

const char* kWhich[] = {"max", "min", "random (pool of 16)", "fresh random each step"};

// Args: {network (0 supernet, 1 static), which (0 max, 1 min, 2 random, 3 fresh random), channels_last}
// 2: both sides cycle over the same 16 random architectures, one per step (the supernet switches
//    its active network every step; the static side has 16 extracted networks, each with its own
//    optimizer). 3: the supernet draws a never-seen architecture every step (as in SPOS training);
//    the first occurrences of a layer shape include oneDNN's kernel generation.
void BM_TrainStep(benchmark::State& state) {
  nn::configure_cpu_threads(bench_threads());
  torch::manual_seed(0);
  const bool use_static = state.range(0) == 1;
  const int which = static_cast<int>(state.range(1));
  const bool channels_last = state.range(2) == 1;
  const space::SearchSpace space = fmnist_space();
  const auto x = input_batch(channels_last);
  const auto y = torch::randint(0, 10, {kBatch});
  const auto archs = archs_for(space, which, which == 2 ? 16 : which == 3 ? 100000 : 1);
  nn::Supernet supernet(space);
  if (channels_last) nn::to_channels_last(*supernet);
  std::vector<nn::StaticNet> statics;
  std::vector<std::unique_ptr<torch::optim::SGD>> optimizers;
  if (use_static) {
    const size_t n = std::min<size_t>(archs.size(), 16);
    for (size_t i = 0; i < n; ++i) {
      statics.emplace_back(supernet->extract(archs[i]));
      statics.back()->train();
      if (channels_last) nn::to_channels_last(*statics.back());
      optimizers.push_back(make_sgd(*statics.back()));
    }
  } else {
    supernet->train();
    optimizers.push_back(make_sgd(*supernet));
  }
  double macs_sum = 0;
  int64_t step = 0;
  auto warm_up = [&](int64_t steps) {  // oneDNN generates kernels on first use of each shape
    for (int64_t i = 0; i < steps; ++i) {
      const size_t k = static_cast<size_t>(i) % (use_static ? statics.size() : std::min<size_t>(archs.size(), 16));
      torch::optim::SGD& opt = *optimizers[use_static ? k : 0];
      opt.zero_grad();
      if (!use_static) supernet->set_active(archs[k]);
      torch::nn::functional::cross_entropy(use_static ? statics[k]->forward(x) : supernet->forward(x), y).backward();
      opt.step();
    }
  };
  warm_up(which >= 2 ? 32 : 2);
  if (which == 3) step = 16;  // continue with architectures not seen in the warm-up
  const int64_t first_step = step;
  for (auto _ : state) {
    const size_t i = static_cast<size_t>(step) % (use_static ? statics.size() : archs.size());
    torch::Tensor logits;
    torch::optim::SGD& opt = *optimizers[use_static ? i : 0];
    opt.zero_grad();
    if (use_static) {
      logits = statics[i]->forward(x);
    } else {
      supernet->set_active(archs[i]);
      logits = supernet->forward(x);
    }
    torch::nn::functional::cross_entropy(logits, y).backward();
    opt.step();
    macs_sum += static_cast<double>(space.macs(archs[i]));
    ++step;
  }
  step -= first_step;
  state.SetLabel(std::string(use_static ? "static " : "supernet ") + kWhich[which] +
                 (channels_last ? " channels-last" : " NCHW"));
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(kBatch * step), benchmark::Counter::kIsRate);
  // A training step costs ~3 forward passes (forward, input grads, weight grads); 2 FLOP per MAC.
  state.counters["GFLOP/s"] =
      benchmark::Counter(6.0 * macs_sum * kBatch / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{0, 1}, {0, 1, 2}, {1}})
    ->Args({0, 3, 1})
    ->Args({0, 0, 0})
    ->Args({1, 0, 0})
    ->Args({0, 2, 0})
    ->Args({1, 2, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

// The practical ceiling of the convolution engine: a large 1x1 convolution, forward.
void BM_Conv1x1Ceiling(benchmark::State& state) {
  nn::configure_cpu_threads(bench_threads());
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({128, 256, 14, 14}).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto w = torch::randn({256, 256, 1, 1}).contiguous(torch::MemoryFormat::ChannelsLast);
  int64_t calls = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(torch::conv2d(x, w));
    ++calls;
  }
  const double flops = 2.0 * 128 * 256 * 256 * 14 * 14;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * calls / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Conv1x1Ceiling)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// Args: {network (0 supernet, 1 static), which (0 max, 1 min, 2 one random)}; batch 500, eval mode.
void BM_Eval(benchmark::State& state) {
  nn::configure_cpu_threads(bench_threads());
  torch::manual_seed(0);
  const bool use_static = state.range(0) == 1;
  const int which = static_cast<int>(state.range(1));
  const space::SearchSpace space = fmnist_space();
  const space::Arch arch = archs_for(space, which, 1)[0];
  nn::Supernet supernet(space);
  nn::to_channels_last(*supernet);
  supernet->eval();
  supernet->set_active(arch);
  nn::StaticNet sub = supernet->extract(arch);
  nn::to_channels_last(*sub);
  const auto x = input_batch(true, 500);
  torch::NoGradGuard no_grad;
  int64_t images = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(use_static ? sub->forward(x) : supernet->forward(x));
    images += 500;
  }
  state.SetLabel(std::string(use_static ? "static " : "supernet ") + kWhich[which]);
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Eval)->ArgsProduct({{0, 1}, {0, 1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// OFA's recalibration: 2000 training images in batches of 200, for one random sub-network.
void BM_BnRecalibration(benchmark::State& state) {
  nn::configure_cpu_threads(bench_threads());
  torch::manual_seed(0);
  const space::SearchSpace space = fmnist_space();
  nn::Supernet supernet(space);
  nn::to_channels_last(*supernet);
  supernet->eval();
  const auto archs = archs_for(space, 2, 64);
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 10; ++i) batches.push_back(input_batch(true, 200));
  torch::NoGradGuard no_grad;
  size_t n = 0;
  for (auto _ : state) {
    supernet->set_active(archs[n++ % archs.size()]);
    supernet->begin_bn_recalibration();
    for (const auto& b : batches) supernet->forward(b);
    supernet->end_bn_recalibration();
  }
  state.SetLabel("2000 images, batch 200, random sub-network");
}
BENCHMARK(BM_BnRecalibration)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
