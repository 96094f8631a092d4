// The whole sparse-space build (pipeline stage 5) with its real fitness: the GBDT early predictor
// (paper settings: 100 trees, learning rate 0.01) fit on 1,000 pairs, then Algorithm 1: one
// evolutionary search per network (population 50, 100 generations, 5 networks per interval) over
// the paper's range scaled to the space, split into 350 intervals (paper), 50 (standard) or 16
// (quick). Budget (issue 3): <= 60 s on 2 cores for one search per interval; Algorithm 1 runs 5.
//
//   ./build/bench/sparsenas_sparse_build_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/predictor/predictor.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"

namespace {

using sparsenas::Rng;
using sparsenas::space::Arch;
using sparsenas::space::SearchSpace;

SearchSpace make_space(int resolution, int in_channels, int num_classes) {
  sparsenas::space::SpaceOptions options;
  options.resolution = resolution;
  options.in_channels = in_channels;
  options.num_classes = num_classes;
  return SearchSpace::from_name("ofa-mbv3", options);
}

// 1,000 pairs whose accuracy grows with the expand ratios and kernel sizes (plus noise), so the
// GBDT has real structure to fit.
void fit_on_synthetic_pairs(const SearchSpace& space, sparsenas::predictor::XgbAccuracyPredictor& model) {
  Rng rng(3);
  const std::vector<Arch> archs = space.sample_distinct(1000, rng);
  std::normal_distribution<double> noise(0.0, 0.003);
  std::vector<double> acc;
  for (const Arch& a : archs) {
    double s = 0.7;
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (space.is_active(a, slot)) s += 0.001 * a.expand_ratios[slot] + 0.0005 * a.kernel_sizes[slot];
    }
    acc.push_back(s + noise(rng));
  }
  model.fit(archs, acc);
}

void BM_SparseSpaceBuildGbdt(benchmark::State& state) {
  const SearchSpace space = state.range(0) == 0 ? make_space(28, 1, 10) : make_space(224, 3, 1000);
  sparsenas::search::SparseSpaceConfig sparse_config = sparsenas::search::resolved_config({}, space);
  const int64_t intervals = state.range(1);  // as RunContext::grid_config with sparse_space_stage.num_intervals
  sparse_config.interval = std::max<int64_t>(1, (sparse_config.max_macs - sparse_config.min_macs + intervals - 1) / intervals);
  sparsenas::predictor::GbdtConfig config = sparsenas::predictor::GbdtConfig::preset("gbdt");
  config.nthread = 2;
  sparsenas::predictor::XgbAccuracyPredictor model(space, config);
  fit_on_synthetic_pairs(space, model);
  const sparsenas::search::FitnessFn fitness = [&model](const std::vector<Arch>& archs) {
    return model.predict(archs);
  };
  int64_t networks = 0, evaluations = 0;
  for (auto _ : state) {
    const auto sparse = sparsenas::search::build_sparse_space(space, fitness, sparse_config);
    networks = sparse.size();
    evaluations = sparse.num_evaluations;
  }
  state.counters["networks"] = static_cast<double>(networks);
  state.counters["evals"] = static_cast<double>(evaluations);
}
BENCHMARK(BM_SparseSpaceBuildGbdt)
    ->Args({0, 16})
    ->Args({0, 50})
    ->Args({0, 350})
    ->Args({1, 350})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
