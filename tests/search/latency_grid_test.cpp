// A sparse space built on a latency grid (sparse_space.constraint "latency", issue 14 item 3):
// search::LatencyPredictor and build_sparse_space / sparse_space_from_list with it, against
// independent references (LatencyTable::predict_ms per network, exhaustive enumeration).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "search/search_test_util.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/search/sparse_space.h"
#include "support/error_of.h"
#include "support/latency_tables.h"
#include "support/small_space.h"
#include "support/temp_dir.h"

namespace sparsenas::search {
namespace {

using space::Arch;
using space::SearchSpace;
using sparsenas::test::contains;
using sparsenas::test::error_of;

// The reference: the table's own per-network sum (keys built per network), in microseconds.
int64_t reference_us(const LatencyTable& table, const SearchSpace& sp, const Arch& arch) {
  return std::llround(table.predict_ms(sp, arch, "ref") * 1000.0);
}

TEST(LatencyGridTest, PredictorAgreesWithTheTableAndFindsTheExtremesOfTheSpace) {
  // Exhaustively enumerable spaces: 74,088 networks (uncoupled) and CompOFA's 243 (coupled).
  for (const SearchSpace& sp : {test::tiny_space(), SearchSpace::from_name("compofa", [] {
         space::SpaceOptions o;
         o.resolution = 32;
         o.in_channels = 1;
         o.num_classes = 10;
         return o;
       }())}) {
    const LatencyTable table = sparsenas::test::random_latency_table(sp, 3);
    const LatencyPredictor latency(table, sp, "lut.json");
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    for (const Arch& a : sp.enumerate()) {
      const int64_t us = latency.micros(a);
      ASSERT_EQ(us, reference_us(table, sp, a)) << sp.name() << " " << a.to_string();
      lo = std::min(lo, us);
      hi = std::max(hi, us);
    }
    EXPECT_EQ(latency.micros(latency.fastest()), lo) << sp.name();
    EXPECT_EQ(latency.micros(latency.slowest()), hi) << sp.name();
    EXPECT_EQ(sp.canonical(latency.fastest()), latency.fastest());
    EXPECT_EQ(sp.canonical(latency.slowest()), latency.slowest());
    // The default grid: the paper's relative positions over that exact range.
    const MacsRange grid = default_latency_range(latency);
    const MacsRange expected = scaled_paper_range(lo, hi);
    EXPECT_EQ(grid.min_macs, expected.min_macs);
    EXPECT_EQ(grid.interval, expected.interval);
    EXPECT_EQ(grid.num_intervals(), 350);
    EXPECT_GT(grid.min_macs, lo);
    EXPECT_LT(grid.max_macs, hi);
  }
  // scaled_paper_range is default_macs_range's scaling.
  const SearchSpace fashion = test::fashion_space();
  const MacsRange macs = default_macs_range(fashion);
  const MacsRange scaled = scaled_paper_range(fashion.macs(fashion.min_arch()), fashion.macs(fashion.max_arch()));
  EXPECT_EQ(macs.min_macs, scaled.min_macs);
  EXPECT_EQ(macs.max_macs, scaled.max_macs);
  EXPECT_EQ(macs.interval, scaled.interval);
}

// Every selected network lies in its latency interval by the table's prediction (recomputed here
// network by network), the grid is the default one over the predicted range, and the file keeps
// the constraint and each network's latency.
TEST(LatencyGridTest, EachNetworkLiesInItsLatencyInterval) {
  const SearchSpace sp = test::fashion_space();
  const LatencyTable table = sparsenas::test::random_latency_table(sp, 5);
  const LatencyPredictor latency(table, sp, "lut.json");
  const test::SyntheticFitness fitness(sp, 5);
  SparseSpaceConfig config;
  config.constraint = kConstraintLatency;
  config.latency_table = "lut.json";
  config.top_k = 3;
  config.evolution.population_size = 16;
  config.evolution.num_generations = 5;
  // Six default-width intervals in the middle of the default latency grid.
  const MacsRange grid = default_latency_range(latency);
  config.interval = grid.interval;
  config.min_macs = grid.min_macs + 170 * grid.interval;
  config.max_macs = config.min_macs + 6 * grid.interval;
  const SparseSpace sparse = build_sparse_space(sp, fitness.batch(), config, {}, {}, &latency);
  ASSERT_EQ(sparse.intervals.size(), 6u);
  EXPECT_EQ(sparse.size(), 18);
  std::set<Arch> all;
  for (const SparseInterval& interval : sparse.intervals) {
    EXPECT_EQ(interval.max_macs - interval.min_macs, grid.interval);
    for (const SparseArch& a : interval.archs) {
      const int64_t us = reference_us(table, sp, a.arch);
      EXPECT_GE(us, interval.min_macs) << a.arch.to_string();
      EXPECT_LT(us, interval.max_macs) << a.arch.to_string();
      EXPECT_EQ(a.latency_us, us);
      EXPECT_EQ(a.macs, sp.macs(a.arch));  // still the MACs, not the efficiency
      EXPECT_TRUE(all.insert(a.arch).second) << "twice: " << a.arch.to_string();
    }
  }
  // The MACs of a latency interval's networks are not one MACs interval: the table is not MACs.
  int64_t macs_lo = std::numeric_limits<int64_t>::max(), macs_hi = 0;
  for (const SparseArch& a : sparse.intervals.front().archs) {
    macs_lo = std::min(macs_lo, a.macs);
    macs_hi = std::max(macs_hi, a.macs);
  }
  EXPECT_GT(macs_hi - macs_lo, default_macs_range(sp).interval);

  sparsenas::test::TempDir dir;
  write_sparse_space(dir.path() / "sparse_space.json", sparse);
  const std::string text = read_file(dir.path() / "sparse_space.json");
  EXPECT_TRUE(contains(text, "\"constraint\": \"latency\"")) << text.substr(0, 300);
  const SparseSpace back = read_sparse_space(dir.path() / "sparse_space.json");
  EXPECT_TRUE(back.config.latency());
  EXPECT_EQ(back.config.latency_table, "lut.json");
  EXPECT_EQ(back.archs(), sparse.archs());
  EXPECT_EQ(back.intervals[2].archs[1].latency_us, sparse.intervals[2].archs[1].latency_us);

  // A file whose network lies outside its latency interval is refused, naming the field.
  nlohmann::json j = read_json_file(dir.path() / "sparse_space.json");
  j["intervals"][0]["archs"][0]["latency_us"] = j["intervals"][0]["max_macs"];
  write_json_file(dir.path() / "bad.json", j);
  std::string e = error_of([&] { read_sparse_space(dir.path() / "bad.json"); });
  EXPECT_TRUE(contains(e, "sparse space.intervals[0].archs[0].latency_us")) << e;
  EXPECT_TRUE(contains(e, "lies outside its interval")) << e;
  j["intervals"][0]["archs"][0].erase("latency_us");
  write_json_file(dir.path() / "bad.json", j);
  e = error_of([&] { read_sparse_space(dir.path() / "bad.json"); });
  EXPECT_TRUE(contains(e, "must have the key 'latency_us'")) << e;
}

// On a small space, each interval's best network of the latency-constrained search is the
// exhaustive best among the networks the same table puts in that interval.
TEST(LatencyGridTest, EvolutionFindsTheExhaustiveBestOfEachLatencyInterval) {
  const SearchSpace sp = test::tiny_space();
  const LatencyTable table = sparsenas::test::random_latency_table(sp, 11);
  const LatencyPredictor latency(table, sp, "lut.json");
  const test::SyntheticFitness fitness(sp, 7);
  const std::vector<Arch> all = sp.enumerate();
  SparseSpaceConfig config;
  config.constraint = kConstraintLatency;
  config.latency_table = "lut.json";
  config.top_k = 1;
  // Five intervals over the middle of the predicted range, each holding thousands of networks.
  std::vector<int64_t> us;
  for (const Arch& a : all) us.push_back(reference_us(table, sp, a));
  std::vector<int64_t> sorted = us;
  std::sort(sorted.begin(), sorted.end());
  config.min_macs = sorted[sorted.size() * 3 / 10];
  config.max_macs = sorted[sorted.size() * 7 / 10];
  config.interval = (config.max_macs - config.min_macs + 4) / 5;
  config.evolution.seed = 2;
  const SparseSpace sparse = build_sparse_space(sp, fitness.batch(), config, {}, {}, &latency);
  ASSERT_EQ(sparse.intervals.size(), 5u);
  for (const SparseInterval& interval : sparse.intervals) {
    double best = -1e300;
    Arch best_arch;
    int64_t feasible = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (us[i] < interval.min_macs || us[i] >= interval.max_macs) continue;
      ++feasible;
      if (fitness(all[i]) > best) {
        best = fitness(all[i]);
        best_arch = all[i];
      }
    }
    ASSERT_GT(feasible, 1000) << interval.index;
    ASSERT_EQ(interval.archs.size(), 1u);
    EXPECT_EQ(interval.archs.front().arch, best_arch) << "interval " << interval.index << ": found "
                                                      << interval.archs.front().predicted << ", best " << best;
    EXPECT_DOUBLE_EQ(interval.archs.front().predicted, best);
  }
}

TEST(LatencyGridTest, ListedSpacesAreGroupedByPredictedLatency) {
  const SearchSpace sp = test::fashion_space();
  const LatencyTable table = sparsenas::test::random_latency_table(sp, 2);
  const LatencyPredictor latency(table, sp, "lut.json");
  Rng rng(4);
  const std::vector<Arch> archs = sp.sample_distinct(60, rng);
  SparseSpaceConfig config;
  config.constraint = kConstraintLatency;
  config.latency_table = "lut.json";
  const SparseSpace list = sparse_space_from_list(sp, archs, config, &latency);
  EXPECT_EQ(list.size(), 60);
  for (const SparseInterval& interval : list.intervals) {
    for (const SparseArch& a : interval.archs) {
      const int64_t us = reference_us(table, sp, a.arch);
      EXPECT_EQ(a.latency_us, us);
      EXPECT_GE(us, interval.min_macs);
      EXPECT_LT(us, interval.max_macs);
    }
  }
}

TEST(LatencyGridTest, ConfigAndTableErrorsAreClear) {
  const SearchSpace sp = test::fashion_space();
  SparseSpaceConfig config;
  config.constraint = kConstraintLatency;
  std::string e = error_of([&] { config.validate(); });
  EXPECT_TRUE(contains(e, "SparseSpaceConfig.latency_table must name a latency table")) << e;
  config.constraint = "flops";
  e = error_of([&] { config.validate(); });
  EXPECT_TRUE(contains(e, "constraint")) << e;
  EXPECT_TRUE(contains(e, "latency")) << e;
  config.constraint = kConstraintMacs;
  config.latency_table = "lut.json";
  e = error_of([&] { config.validate(); });
  EXPECT_TRUE(contains(e, "latency_table is used only with constraint \"latency\"")) << e;
  // Constraint latency without the table's predictor.
  config.constraint = kConstraintLatency;
  const test::SyntheticFitness fitness(sp, 1);
  e = error_of([&] { build_sparse_space(sp, fitness.batch(), config); });
  EXPECT_TRUE(contains(e, "needs the latency table's predictor (lut.json)")) << e;

  // A table of another shape or space is refused when compiled, naming what differs; so is an
  // incomplete one, naming the missing part.
  const LatencyTable other_shape = sparsenas::test::random_latency_table(sparsenas::test::small_space("ofa-mbv3", 32, 1));
  e = error_of([&] { LatencyPredictor(other_shape, sp, "lut.json"); });
  EXPECT_TRUE(contains(e, "lut.json: the latency table was measured for resolution 32, but the space has "
                          "resolution 28")) << e;
  const LatencyTable other_space = sparsenas::test::random_latency_table(sparsenas::test::small_space("proxyless", 28, 1));
  e = error_of([&] { LatencyPredictor(other_space, sp, "lut.json"); });
  EXPECT_TRUE(contains(e, "measured for space proxyless, but the space has space ofa-mbv3")) << e;
  LatencyTable partial = sparsenas::test::random_latency_table(sp);
  partial.entries.erase(partial.entries.begin());  // "block:..." sorts before head and stem
  e = error_of([&] { LatencyPredictor(partial, sp, "lut.json"); });
  EXPECT_TRUE(contains(e, "lut.json: the latency table has no entry 'block:")) << e;

  // A MACs sparse space's file has no latency keys (the file earlier versions wrote).
  SparseSpaceConfig macs;
  macs.top_k = 1;
  macs.evolution.population_size = 4;
  macs.evolution.num_generations = 1;
  Rng rng(1);
  const SparseSpace list = sparse_space_from_list(sp, sp.sample_distinct(5, rng), macs);
  const std::string text = nlohmann::json(list).dump();
  EXPECT_FALSE(contains(text, "constraint")) << text.substr(0, 300);
  EXPECT_FALSE(contains(text, "latency")) << text.substr(0, 300);
}

}  // namespace
}  // namespace sparsenas::search
