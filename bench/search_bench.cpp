// Benchmarks of the search library: one evolutionary search per MACs interval, a whole sparse-space
// build, and family lookups. The fitness here is a cheap synthetic function; the real one (the GBDT
// early predictor) adds its own cost per evaluated architecture, reported as "evals".
//
//   ./build/bench/sparsenas_search_bench --benchmark_min_time=0.5 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/search/evolution.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"

namespace {

using sparsenas::Rng;
using sparsenas::search::Bound;
using sparsenas::search::Constraint;
using sparsenas::search::EvolutionConfig;
using sparsenas::search::FamilyRow;
using sparsenas::search::FamilyTable;
using sparsenas::search::FitnessFn;
using sparsenas::space::Arch;
using sparsenas::space::SearchSpace;

SearchSpace make_space(int resolution, int in_channels, int num_classes) {
  sparsenas::space::SpaceOptions options;
  options.resolution = resolution;
  options.in_channels = in_channels;
  options.num_classes = num_classes;
  return SearchSpace::from_name("ofa-mbv3", options);
}

// Cheap smooth stand-in for the predictor: weighted expand ratios and kernels, depth bonus, and a
// quadratic penalty (same shape as the tests' SyntheticFitness).
FitnessFn synthetic_fitness(const SearchSpace& space) {
  Rng rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> we, wk;
  for (int slot = 0; slot < space.num_slots(); ++slot) {
    we.push_back(0.5 + unit(rng));
    wk.push_back(unit(rng) - 0.5);
  }
  return [&space, we, wk](const std::vector<Arch>& archs) {
    std::vector<double> out;
    out.reserve(archs.size());
    for (const Arch& a : archs) {
      double score = 0, total_e = 0;
      for (int slot = 0; slot < space.num_slots(); ++slot) {
        if (!space.is_active(a, slot)) continue;
        score += we[slot] * a.expand_ratios[slot] + wk[slot] * a.kernel_sizes[slot];
        total_e += a.expand_ratios[slot];
      }
      out.push_back(score - 0.01 * (total_e - 60) * (total_e - 60));
    }
    return out;
  };
}

// One interval of the paper's search (population 50, 100 generations). Arg 0: ofa-mbv3 at 28x28x1,
// 10 classes, the middle interval of the scaled range (~23.5K MACs wide). Arg 1: at 224x224x3,
// 1000 classes, the interval [300M, 301M) of the paper.
void BM_EvolutionInterval(benchmark::State& state) {
  const bool paper = state.range(0) == 1;
  const SearchSpace space = paper ? make_space(224, 3, 1000) : make_space(28, 1, 10);
  const FitnessFn fitness = synthetic_fitness(space);
  Constraint constraint{300'000'000, 301'000'000};
  if (!paper) {
    const auto range = sparsenas::search::default_macs_range(space);
    constraint.min_macs = range.min_macs + range.num_intervals() / 2 * range.interval;
    constraint.max_macs = constraint.min_macs + range.interval;
  }
  EvolutionConfig config;
  int64_t evals = 0, efficiency_calls = 0, fallback = 0, dropped = 0, runs = 0;
  for (auto _ : state) {
    config.seed = static_cast<uint64_t>(runs++);
    const auto result = sparsenas::search::run_evolution(space, fitness, constraint, config);
    if (!result.feasible) state.SkipWithError("interval unexpectedly unreachable");
    evals += result.num_evaluations;
    efficiency_calls += result.num_efficiency_calls;
    fallback += result.num_fallback_members;
    dropped += result.num_dropped_children;
  }
  state.counters["evals"] = static_cast<double>(evals) / runs;
  state.counters["macs_calls"] = static_cast<double>(efficiency_calls) / runs;
  state.counters["fallback_members"] = static_cast<double>(fallback) / runs;
  state.counters["dropped_children"] = static_cast<double>(dropped) / runs;
}
BENCHMARK(BM_EvolutionInterval)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The whole sparse space of ofa-mbv3 at 28x28x1, 10 classes, with the scaled default range
// (350 intervals, top 5 each), paper search settings.
void BM_SparseSpaceBuild(benchmark::State& state) {
  const SearchSpace space = make_space(28, 1, 10);
  const FitnessFn fitness = synthetic_fitness(space);
  sparsenas::search::SparseSpaceConfig config;
  for (auto _ : state) {
    const auto sparse = sparsenas::search::build_sparse_space(space, fitness, config);
    state.counters["networks"] = static_cast<double>(sparse.size());
    state.counters["unreachable"] = static_cast<double>(sparse.unreachable.size());
    state.counters["evals"] = static_cast<double>(sparse.num_evaluations);
  }
}
BENCHMARK(BM_SparseSpaceBuild)->Iterations(1)->Unit(benchmark::kSecond);

// best_within on a family of n networks, random bounds.
void BM_LookupQuery(benchmark::State& state) {
  const SearchSpace space = make_space(28, 1, 10);
  Rng rng(1);
  std::vector<FamilyRow> rows;
  for (int64_t i = 0; i < state.range(0); ++i) {
    FamilyRow r;
    r.arch = space.sample(rng);
    r.macs = space.macs(r.arch);
    r.params = space.params(r.arch);
    r.latency_ms = r.macs * 1e-6;
    r.val_top1 = 0.8 + 0.1 * std::sin(static_cast<double>(i));
    rows.push_back(r);
  }
  const FamilyTable table(rows);
  std::vector<double> limits;
  for (int i = 0; i < 1024; ++i)
    limits.push_back(3e6 + static_cast<double>(sparsenas::uniform_index(rng, 12'000'000)));
  size_t q = 0;
  for (auto _ : state) {
    auto best = table.best_within(Bound::kMacs, limits[q++ & 1023]);
    benchmark::DoNotOptimize(best);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupQuery)->Arg(1750)->Arg(10000)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
