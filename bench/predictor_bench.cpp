// Accuracy-predictor costs (pipeline stage 4, paper Table 3 "Time Cost"): fitting a tree ensemble
// on 1000 architecture-accuracy pairs of ofa-mbv3 (the paper's early-predictor sample size), and
// predicting 100 architectures (one evolution generation's fitness calls).
//
//   OMP_WAIT_POLICY=PASSIVE sparsenas_predictor_bench --benchmark_repetitions=3
//   (add --benchmark_report_aggregates_only=true for medians only)
//
// Synthetic targets (the sum of active expand ratios plus noise): fit time depends on the data
// only through the tree shapes, and the real pairs are not available to a benchmark.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "sparsenas/predictor/features.h"
#include "sparsenas/predictor/predictor.h"

namespace {

using sparsenas::predictor::GbdtConfig;
using sparsenas::predictor::XgbAccuracyPredictor;
using sparsenas::space::Arch;
using sparsenas::space::SearchSpace;

const char* const kKinds[] = {"gbdt", "random_forest", "xgboost_default"};

SearchSpace fashion_space() {
  sparsenas::space::SpaceOptions options;
  options.resolution = 28;
  options.in_channels = 1;
  options.num_classes = 10;
  return SearchSpace::from_name("ofa-mbv3", options);
}

struct Pairs {
  std::vector<Arch> archs;
  std::vector<double> accuracies;
};

Pairs make_pairs(const SearchSpace& space, int count, uint64_t seed) {
  sparsenas::Rng rng(seed);
  std::normal_distribution<double> noise(0.0, 0.002);
  Pairs p;
  p.archs = space.sample_distinct(count, rng);
  for (const Arch& arch : p.archs) {
    int sum = 0;
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (space.is_active(arch, slot)) sum += arch.expand_ratios[slot];
    }
    p.accuracies.push_back(0.64 + 0.002 * sum + noise(rng));
  }
  return p;
}

// Args: kind index (0 gbdt, 1 random_forest, 2 xgboost_default), nthread.
// Times XgbAccuracyPredictor::fit on 1000 pairs: encoding, DMatrix, all rounds.
void BM_PredictorFit(benchmark::State& state) {
  const SearchSpace space = fashion_space();
  const Pairs pairs = make_pairs(space, 1000, 1);
  GbdtConfig config = GbdtConfig::preset(kKinds[state.range(0)]);
  config.nthread = state.range(1);
  XgbAccuracyPredictor predictor(space, config);
  for (auto _ : state) {
    predictor.fit(pairs.archs, pairs.accuracies);
  }
  state.SetLabel(std::string(kKinds[state.range(0)]) +
                 " nthread=" + std::to_string(state.range(1)));
  state.counters["fits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PredictorFit)
    ->ArgNames({"kind", "nthread"})
    ->Args({0, 1})
    ->Args({0, 2})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 1})
    ->Args({2, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg: nthread. Predicts 100 fresh architectures with the GBDT fit on 1000 pairs, encoding
// included (the evolutionary-search fitness call).
void BM_GbdtPredict100(benchmark::State& state) {
  const SearchSpace space = fashion_space();
  const Pairs pairs = make_pairs(space, 1000, 1);
  GbdtConfig config = GbdtConfig::preset("gbdt");
  config.nthread = state.range(0);
  XgbAccuracyPredictor predictor(space, config);
  predictor.fit(pairs.archs, pairs.accuracies);
  const Pairs candidates = make_pairs(space, 100, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(predictor.predict(candidates.archs));
  }
  state.counters["archs/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 100,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GbdtPredict100)
    ->ArgName("nthread")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Encoding alone, 100 architectures (part of BM_GbdtPredict100).
void BM_Encode100(benchmark::State& state) {
  const SearchSpace space = fashion_space();
  const Pairs candidates = make_pairs(space, 100, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sparsenas::predictor::encode_batch(space, candidates.archs));
  }
  state.counters["archs/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 100,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Encode100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
