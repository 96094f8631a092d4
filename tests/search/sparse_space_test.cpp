// Unit tests for src/sparsenas/search/sparse_space.h
#include "sparsenas/search/sparse_space.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "search/search_test_util.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/temp_dir.h"

namespace sparsenas::search {
namespace {

using space::Arch;
using space::SearchSpace;

TEST(SparseSpaceTest, DefaultRangeIsThePapersAtTheReferenceSetting) {
  const MacsRange range = default_macs_range(SearchSpace::from_name("ofa-mbv3"));
  EXPECT_EQ(range.min_macs, kPaperMinMacs);
  EXPECT_EQ(range.max_macs, kPaperMaxMacs);
  EXPECT_EQ(range.interval, kPaperIntervalMacs);
  EXPECT_EQ(range.num_intervals(), 350);
}

TEST(SparseSpaceTest, DefaultRangeScalesWithTheSpace) {
  const SearchSpace space = test::fashion_space();
  const int64_t lo = space.macs(space.min_arch()), hi = space.macs(space.max_arch());
  EXPECT_NEAR(lo, 3.7e6, 0.1e6);
  EXPECT_NEAR(hi, 14.2e6, 0.2e6);
  const MacsRange range = default_macs_range(space);
  EXPECT_EQ(range.num_intervals(), 350);
  EXPECT_GT(range.min_macs, lo);
  EXPECT_LT(range.max_macs, hi);
  // Same relative position in the MACs range as 150M..500M in 121M..566M at 224.
  const SearchSpace reference = SearchSpace::from_name("ofa-mbv3");
  const double r_lo = reference.macs(reference.min_arch()),
               r_hi = reference.macs(reference.max_arch());
  EXPECT_NEAR(double(range.min_macs - lo) / (hi - lo), (150e6 - r_lo) / (r_hi - r_lo), 1e-4);
  EXPECT_NEAR(double(range.max_macs - lo) / (hi - lo), (500e6 - r_lo) / (r_hi - r_lo), 1e-3);
  EXPECT_NEAR(range.interval, 1e6 * (hi - lo) / (r_hi - r_lo), 1.0);
}

TEST(SparseSpaceTest, MacsRangeSplit) {
  EXPECT_EQ((MacsRange{0, 10, 5}.num_intervals()), 2);
  EXPECT_EQ((MacsRange{0, 11, 5}.num_intervals()), 3);
  EXPECT_EQ((MacsRange{0, 1, 5}.num_intervals()), 1);
}

SparseSpaceConfig small_config(const SearchSpace& space) {
  // Six intervals of the default width in the dense middle of the range, a smaller search.
  const MacsRange range = default_macs_range(space);
  SparseSpaceConfig config;
  config.interval = range.interval;
  config.min_macs = range.min_macs + 170 * range.interval;
  config.max_macs = config.min_macs + 6 * range.interval;
  config.top_k = 5;
  config.evolution.population_size = 20;
  config.evolution.num_generations = 15;
  config.evolution.seed = 4;
  return config;
}

void expect_consistent(const SearchSpace& space, const SparseSpace& sparse) {
  std::set<Arch> all;
  for (const SparseInterval& interval : sparse.intervals) {
    ASSERT_FALSE(interval.archs.empty());
    EXPECT_LE(static_cast<int64_t>(interval.archs.size()), sparse.config.top_k);
    for (size_t i = 0; i < interval.archs.size(); ++i) {
      const SparseArch& a = interval.archs[i];
      EXPECT_EQ(space.canonical(a.arch), a.arch);
      EXPECT_EQ(space.macs(a.arch), a.macs);
      EXPECT_EQ(space.params(a.arch), a.params);
      EXPECT_GE(a.macs, interval.min_macs);
      EXPECT_LT(a.macs, interval.max_macs);
      EXPECT_TRUE(all.insert(a.arch).second) << "duplicate " << a.arch.to_string();
      if (i > 0) {
        EXPECT_GE(interval.archs[i - 1].predicted, a.predicted);
      }
    }
  }
  EXPECT_EQ(static_cast<int64_t>(all.size()), sparse.size());
}

TEST(SparseSpaceTest, BuildsTopKDistinctPerIntervalAndReportsUnreachable) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness fitness(space, 5);
  const int64_t smallest = space.macs(space.min_arch());
  const int64_t width = default_macs_range(space).interval;

  // Part 1: six intervals in the dense middle of the range.
  SparseSpaceConfig config = small_config(space);
  std::vector<IntervalProgress> reports;
  const SparseSpace sparse = build_sparse_space(
      space, fitness.batch(), config, [&](const IntervalProgress& p) { reports.push_back(p); });
  EXPECT_EQ(sparse.intervals.size(), 6u);
  EXPECT_TRUE(sparse.unreachable.empty());
  EXPECT_EQ(sparse.size(), 30);
  expect_consistent(space, sparse);
  ASSERT_EQ(reports.size(), 6u);
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(reports[i].num_intervals, 6);
    EXPECT_TRUE(reports[i].feasible);
    EXPECT_EQ(reports[i].num_archs, 5);
    EXPECT_DOUBLE_EQ(reports[i].best_predicted, sparse.intervals[i].archs.front().predicted);
  }
  for (size_t i = 0; i < sparse.intervals.size(); ++i) {
    EXPECT_EQ(sparse.intervals[i].min_macs, config.min_macs + static_cast<int64_t>(i) * width);
    EXPECT_EQ(sparse.intervals[i].max_macs, sparse.intervals[i].min_macs + width);
  }

  // Part 2: starting below the smallest network, the first intervals are listed as unreachable.
  config.min_macs = smallest - 2 * width;
  config.max_macs = smallest + width;
  const SparseSpace low = build_sparse_space(space, fitness.batch(), config);
  ASSERT_EQ(low.unreachable.size(), 2u);
  EXPECT_EQ(low.unreachable[0].index, 0);
  EXPECT_EQ(low.unreachable[1].index, 1);
  EXPECT_EQ(low.unreachable[1].max_macs, smallest);
  ASSERT_EQ(low.intervals.size(), 1u);
  EXPECT_EQ(low.intervals[0].min_macs, smallest);
  expect_consistent(space, low);
}

// Algorithm 1: network k of interval i is the best (not yet taken) network of its own search,
// seeded network_seed(seed, i, k). Recomputed here search by search.
TEST(SparseSpaceTest, EachNetworkIsTheBestOfItsOwnSeededSearch) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness smooth(space, 5);
  // Coarse values, so that searches tie and several find the same best network.
  const FitnessFn coarse = [&](const std::vector<Arch>& archs) {
    std::vector<double> out = smooth.batch()(archs);
    for (double& v : out) v = std::floor(v * 2) / 2;
    return out;
  };
  SparseSpaceConfig config = small_config(space);
  config.max_macs = config.min_macs + 3 * config.interval;
  const SparseSpace sparse = build_sparse_space(space, coarse, config);
  expect_consistent(space, sparse);
  ASSERT_EQ(sparse.intervals.size(), 3u);
  int64_t evaluations = 0;
  for (const SparseInterval& interval : sparse.intervals) {
    std::set<Arch> taken;
    std::vector<std::pair<Arch, double>> expected;
    int64_t interval_evaluations = 0;
    for (int64_t k = 0; k < config.top_k; ++k) {
      EvolutionConfig evolution = config.evolution;
      evolution.seed = network_seed(config.evolution.seed, interval.index, k);
      const EvolutionResult r =
          run_evolution(space, coarse, Constraint{interval.min_macs, interval.max_macs}, evolution);
      interval_evaluations += r.num_evaluations;
      for (const Candidate& c : r.archive) {
        if (taken.insert(c.arch).second) {
          expected.emplace_back(c.arch, c.fitness);
          break;
        }
      }
    }
    ASSERT_EQ(interval.archs.size(), expected.size());
    std::set<std::pair<Arch, double>> got, want(expected.begin(), expected.end());
    for (const SparseArch& a : interval.archs) got.emplace(a.arch, a.predicted);
    EXPECT_EQ(got, want) << "interval " << interval.index;
    EXPECT_EQ(interval.num_evaluations, interval_evaluations);
    evaluations += interval_evaluations;
  }
  EXPECT_EQ(sparse.num_evaluations, evaluations);
  EXPECT_NE(network_seed(4, 0, 1), network_seed(4, 1, 0));
}

// One predicted value for every network (the GBDT of issue 12's quick run): still top_k distinct
// networks per interval, spread over the interval instead of packed at its lower edge.
TEST(SparseSpaceTest, AllTiedFitnessGivesDistinctNetworksNotTheLowestMacs) {
  const SearchSpace space = test::fashion_space();
  const FitnessFn constant = [](const std::vector<Arch>& archs) { return std::vector<double>(archs.size(), 0.8); };
  const SparseSpaceConfig config = small_config(space);
  const SparseSpace sparse = build_sparse_space(space, constant, config);
  expect_consistent(space, sparse);  // no architecture twice
  EXPECT_EQ(sparse.size(), 6 * config.top_k);
  double position = 0;  // of each network's MACs in its interval, averaged
  for (const SparseInterval& interval : sparse.intervals) {
    for (const SparseArch& a : interval.archs) {
      position += static_cast<double>(a.macs - interval.min_macs) /
                  static_cast<double>(interval.max_macs - interval.min_macs) / static_cast<double>(sparse.size());
    }
  }
  EXPECT_GT(position, 0.25);
  EXPECT_LT(position, 0.75);
}

// Re-ranking (rerank_pool, issue 12 item 6), against its definition recomputed from a build
// without it: the candidates of an interval are the networks that top_k = rerank_pool would keep
// (the same seeded searches), and the kept ones are the top_k of them by the measurement.
TEST(SparseSpaceTest, RerankKeepsTheBestMeasuredOfThePoolsCandidates) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness predicted(space, 5), truth(space, 11);
  SparseSpaceConfig config = small_config(space);
  config.max_macs = config.min_macs + 3 * config.interval;
  config.top_k = 2;
  config.rerank_pool = 5;
  int64_t calls = 0;
  const FitnessFn measure = [&](const std::vector<Arch>& archs) {
    ++calls;
    return truth.batch()(archs);
  };
  const SparseSpace reranked = build_sparse_space(space, predicted.batch(), config, {}, measure);
  SparseSpaceConfig pool_config = config;
  pool_config.top_k = 5;
  pool_config.rerank_pool = 0;
  const SparseSpace pool = build_sparse_space(space, predicted.batch(), pool_config);
  ASSERT_EQ(reranked.intervals.size(), pool.intervals.size());
  EXPECT_EQ(calls, static_cast<int64_t>(pool.intervals.size()));  // one call per interval
  EXPECT_EQ(reranked.num_evaluations, pool.num_evaluations);
  for (size_t i = 0; i < pool.intervals.size(); ++i) {
    std::vector<std::pair<double, Arch>> by_truth;
    for (const SparseArch& a : pool.intervals[i].archs) by_truth.emplace_back(truth(a.arch), a.arch);
    std::stable_sort(by_truth.begin(), by_truth.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const auto& kept = reranked.intervals[i].archs;
    ASSERT_EQ(kept.size(), 2u);
    for (size_t k = 0; k < kept.size(); ++k) {
      EXPECT_EQ(kept[k].arch, by_truth[k].second) << "interval " << i << " rank " << k;
      EXPECT_DOUBLE_EQ(kept[k].measured, by_truth[k].first);
      EXPECT_DOUBLE_EQ(kept[k].predicted, predicted(kept[k].arch));
    }
  }
  // "measured" survives the file round trip; a build without re-ranking writes none.
  EXPECT_EQ(nlohmann::json(nlohmann::json(reranked).get<SparseSpace>()), nlohmann::json(reranked));
  EXPECT_FALSE(nlohmann::json(pool)["intervals"][0]["archs"][0].contains("measured"));
  EXPECT_TRUE(std::isnan(pool.intervals[0].archs[0].measured));
  // Re-ranking without a measurement, or with a pool not larger than top_k, is refused.
  EXPECT_THROW(build_sparse_space(space, predicted.batch(), config), Error);
  config.rerank_pool = 2;
  EXPECT_THROW(config.validate(), Error);
}

TEST(SparseSpaceTest, DeterministicAndJsonRoundTrip) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness fitness(space, 6);
  SparseSpaceConfig config = small_config(space);
  config.max_macs = config.min_macs + 2 * config.interval;
  const SparseSpace a = build_sparse_space(space, fitness.batch(), config);
  const SparseSpace b = build_sparse_space(space, fitness.batch(), config);
  EXPECT_EQ(nlohmann::json(a), nlohmann::json(b));

  sparsenas::test::TempDir dir;
  const auto path = dir.path() / "sparse_space.json";
  write_sparse_space(path, a);
  const SparseSpace back = read_sparse_space(path);
  EXPECT_EQ(nlohmann::json(back), nlohmann::json(a));
  EXPECT_EQ(back.archs(), a.archs());

  // A tampered file is rejected with the file and the field named.
  nlohmann::json bad = nlohmann::json(a);
  bad["intervals"][0]["archs"][0]["macs"] = 1;
  write_json_file(path, bad);
  try {
    read_sparse_space(path);
    ADD_FAILURE() << "tampered file accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("sparse_space.json"), std::string::npos) << message;
    EXPECT_NE(message.find("intervals[0].archs[0].macs"), std::string::npos) << message;
  }
  bad = nlohmann::json(a);
  bad["extra"] = 1;
  EXPECT_THROW(bad.get<SparseSpace>(), Error);
}

TEST(SparseSpaceTest, FromListHoldsEveryNetworkInItsIntervalOfTheExtendedGrid) {
  // CompOFA's 243 networks in the ofa-mbv3 supernet's space (the compofa method's family).
  const SearchSpace space = test::fashion_space();
  space::SpaceOptions options;
  options.resolution = 28;
  options.in_channels = 1;
  options.num_classes = 10;
  const std::vector<Arch> compofa = SearchSpace::from_name("compofa", options).enumerate();
  ASSERT_EQ(compofa.size(), 243u);
  const SparseSpaceConfig config = resolved_config(SparseSpaceConfig{}, space);
  const SparseSpace list = sparse_space_from_list(space, compofa, config);

  EXPECT_EQ(list.size(), 243);
  EXPECT_EQ(list.num_evaluations, 0);
  EXPECT_EQ(list.config.interval, config.interval);
  // The grid is the default one, widened by whole intervals to cover every network.
  EXPECT_EQ((config.min_macs - list.config.min_macs) % config.interval, 0);
  EXPECT_LE(list.config.min_macs, config.min_macs);
  EXPECT_GE(list.config.max_macs, config.max_macs);
  std::set<Arch> seen;
  for (const SparseInterval& interval : list.intervals) {
    EXPECT_EQ(interval.min_macs, list.config.min_macs + interval.index * list.config.interval);
    ASSERT_FALSE(interval.archs.empty());
    for (const SparseArch& a : interval.archs) {
      EXPECT_GE(a.macs, interval.min_macs);
      EXPECT_LT(a.macs, interval.max_macs);
      EXPECT_EQ(a.macs, space.macs(a.arch));
      EXPECT_EQ(a.arch, space.canonical(a.arch));
      EXPECT_EQ(a.predicted, 0.0);
      seen.insert(a.arch);
    }
  }
  std::set<Arch> expected;
  for (const Arch& a : compofa) expected.insert(space.canonical(a));
  EXPECT_EQ(seen, expected);
  const MacsRange range{list.config.min_macs, list.config.max_macs, list.config.interval};
  EXPECT_EQ(static_cast<int64_t>(list.intervals.size() + list.unreachable.size()), range.num_intervals());
  for (const SparseInterval& interval : list.unreachable) EXPECT_TRUE(interval.archs.empty());

  // It survives the file round trip (archs checked against the stored space).
  EXPECT_EQ(nlohmann::json(nlohmann::json(list).get<SparseSpace>()), nlohmann::json(list));
  // Listing a network twice is an error naming it.
  std::vector<Arch> twice = {compofa[0], compofa[1], compofa[0]};
  EXPECT_THROW(sparse_space_from_list(space, twice, config), Error);
  EXPECT_THROW(sparse_space_from_list(space, {}, config), Error);
}

TEST(SparseSpaceConfigTest, JsonResolveAndValidate) {
  SparseSpaceConfig config;
  config.top_k = 3;
  config.evolution.population_size = 30;
  const nlohmann::json j = config;
  EXPECT_EQ(nlohmann::json(j.get<SparseSpaceConfig>()), j);
  EXPECT_THROW(nlohmann::json::parse(R"({"topk": 5})").get<SparseSpaceConfig>(), Error);
  EXPECT_THROW(nlohmann::json::parse(R"({"evolution": {"pop": 5}})").get<SparseSpaceConfig>(),
               Error);

  const SearchSpace space = test::fashion_space();
  const SparseSpaceConfig resolved = resolved_config(SparseSpaceConfig{}, space);
  const MacsRange range = default_macs_range(space);
  EXPECT_EQ(resolved.min_macs, range.min_macs);
  EXPECT_EQ(resolved.max_macs, range.max_macs);
  EXPECT_EQ(resolved.interval, range.interval);

  SparseSpaceConfig bad;
  bad.top_k = 0;
  EXPECT_THROW(bad.validate(), Error);
  bad = {};
  bad.min_macs = 10;
  bad.max_macs = 5;
  EXPECT_THROW(bad.validate(), Error);
  bad = {};
  bad.min_macs = 1;
  bad.max_macs = 1'000'000'000;
  bad.interval = 1;
  EXPECT_THROW(resolved_config(bad, space), Error);  // a billion intervals
  bad = {};
  bad.evolution.mutate_prob = 2;
  EXPECT_THROW(bad.validate(), Error);
}

}  // namespace
}  // namespace sparsenas::search
