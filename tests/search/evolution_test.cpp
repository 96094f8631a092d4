// Unit tests for src/sparsenas/search/evolution.h
#include "sparsenas/search/evolution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <unordered_set>

#include "search/search_test_util.h"
#include "sparsenas/core/error.h"

namespace sparsenas::search {
namespace {

using space::Arch;
using space::SearchSpace;

// The true best of `archs` inside `constraint` by exhaustive search.
struct Exhaustive {
  Arch best;
  double fitness = -1e300;
  int64_t num_feasible = 0;
};

Exhaustive exhaustive_best(const SearchSpace& space, const std::vector<Arch>& archs,
                           const test::SyntheticFitness& fitness, const Constraint& constraint) {
  Exhaustive out;
  for (const Arch& a : archs) {
    if (!constraint.contains(space.macs(a))) continue;
    ++out.num_feasible;
    const double f = fitness(a);
    if (f > out.fitness) {
      out.fitness = f;
      out.best = a;
    }
  }
  return out;
}

// A MACs interval holding the networks between two quantiles of the space's MACs.
Constraint quantile_interval(const SearchSpace& space, const std::vector<Arch>& archs, double lo,
                             double hi) {
  std::vector<int64_t> macs;
  for (const Arch& a : archs) macs.push_back(space.macs(a));
  std::sort(macs.begin(), macs.end());
  return Constraint{macs[static_cast<size_t>(lo * (macs.size() - 1))],
                    macs[static_cast<size_t>(hi * (macs.size() - 1))]};
}

void expect_valid_result(const SearchSpace& space, const EvolutionResult& result,
                         const Constraint& constraint) {
  ASSERT_TRUE(result.feasible);
  ASSERT_TRUE(result.best.has_value());
  for (const auto* list : {&result.population, &result.archive}) {
    std::unordered_set<Arch, space::ArchHash> seen;
    for (size_t i = 0; i < list->size(); ++i) {
      const Candidate& c = (*list)[i];
      EXPECT_NO_THROW(space.validate(c.arch));
      EXPECT_EQ(space.canonical(c.arch), c.arch) << "not canonical: " << c.arch.to_string();
      EXPECT_EQ(space.macs(c.arch), c.efficiency);
      EXPECT_TRUE(constraint.contains(c.efficiency)) << c.efficiency;
      EXPECT_TRUE(seen.insert(c.arch).second) << "duplicate: " << c.arch.to_string();
      if (i > 0) {
        EXPECT_GE((*list)[i - 1].fitness, c.fitness);
      }
    }
  }
  EXPECT_EQ(result.archive.front().arch, result.best->arch);
  EXPECT_EQ(result.population.front().arch, result.best->arch);
  EXPECT_EQ(static_cast<int64_t>(result.archive.size()), result.num_evaluations);
}

TEST(EvolutionTest, FindsTheExhaustiveBestInATinySpace) {
  const SearchSpace space = test::tiny_space();
  const std::vector<Arch> all = space.enumerate();
  ASSERT_EQ(all.size(), 74088u);
  const test::SyntheticFitness fitness(space, /*seed=*/7);
  const Constraint constraint = quantile_interval(space, all, 0.47, 0.53);
  const Exhaustive truth = exhaustive_best(space, all, fitness, constraint);
  ASSERT_GT(truth.num_feasible, 1000);

  EvolutionConfig config;
  config.seed = 1;
  int64_t calls = 0;
  const EvolutionResult result = run_evolution(space, fitness.batch(&calls), constraint, config);
  expect_valid_result(space, result, constraint);
  EXPECT_EQ(result.best->arch, truth.best)
      << "found " << result.best->fitness << ", best is " << truth.fitness;
  EXPECT_DOUBLE_EQ(result.best->fitness, truth.fitness);
  EXPECT_EQ(calls, result.num_evaluations);  // the cache never asks twice
  EXPECT_LT(result.num_evaluations, truth.num_feasible);
  ASSERT_EQ(result.best_per_generation.size(), 101u);
  EXPECT_TRUE(std::is_sorted(result.best_per_generation.begin(), result.best_per_generation.end()));
}

// Over many seeds and fitness functions (run with --gtest_also_run_disabled_tests).
TEST(EvolutionTest, DISABLED_FindsTheExhaustiveBestOverManySeeds) {
  const SearchSpace space = test::tiny_space();
  const std::vector<Arch> all = space.enumerate();
  int found = 0, total = 0;
  for (uint64_t f = 0; f < 10; ++f) {
    const test::SyntheticFitness fitness(space, f);
    for (double lo : {0.1, 0.3, 0.47, 0.7, 0.9}) {
      const Constraint constraint = quantile_interval(space, all, lo, lo + 0.06);
      const Exhaustive truth = exhaustive_best(space, all, fitness, constraint);
      for (uint64_t seed = 0; seed < 5; ++seed) {
        EvolutionConfig config;
        config.seed = seed;
        const EvolutionResult result = run_evolution(space, fitness.batch(), constraint, config);
        ++total;
        if (result.best->arch == truth.best) {
          ++found;
        } else {
          std::cout << "missed: fitness seed " << f << ", quantile " << lo << ", seed " << seed
                    << ": " << result.best->fitness << " < " << truth.fitness << " ("
                    << result.num_evaluations << " evaluated of " << truth.num_feasible
                    << " feasible)\n";
        }
      }
    }
  }
  // Evolution is a heuristic: measured 247 of 250 (the misses: the population settled on a local
  // optimum after ~500 distinct evaluations of ~4,400 feasible networks).
  std::cout << "found the exhaustive best in " << found << " of " << total << " runs\n";
  EXPECT_GE(found, total * 95 / 100);
}

TEST(EvolutionTest, FindsTheExhaustiveBestInCompofa) {
  const SearchSpace space = SearchSpace::from_name("compofa");
  const std::vector<Arch> all = space.enumerate();
  ASSERT_EQ(all.size(), 243u);
  const test::SyntheticFitness fitness(space, /*seed=*/3);
  const Constraint constraint = quantile_interval(space, all, 0.3, 0.6);
  const Exhaustive truth = exhaustive_best(space, all, fitness, constraint);
  EvolutionConfig config;
  config.seed = 5;
  config.num_generations = 30;
  const EvolutionResult result = run_evolution(space, fitness.batch(), constraint, config);
  expect_valid_result(space, result, constraint);
  EXPECT_EQ(result.best->arch, truth.best);
  EXPECT_LE(static_cast<int64_t>(result.archive.size()), truth.num_feasible);
}

TEST(EvolutionTest, SameSeedSameResultOtherSeedOtherSearch) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness fitness(space, 1);
  const Constraint constraint{8'000'000, 8'200'000};
  EvolutionConfig config;
  config.num_generations = 20;
  config.seed = 11;
  const EvolutionResult a = run_evolution(space, fitness.batch(), constraint, config);
  const EvolutionResult b = run_evolution(space, fitness.batch(), constraint, config);
  expect_valid_result(space, a, constraint);
  ASSERT_EQ(a.archive.size(), b.archive.size());
  for (size_t i = 0; i < a.archive.size(); ++i) {
    EXPECT_EQ(a.archive[i].arch, b.archive[i].arch);
    EXPECT_EQ(a.archive[i].fitness, b.archive[i].fitness);
  }
  EXPECT_EQ(a.best_per_generation, b.best_per_generation);
  config.seed = 12;
  const EvolutionResult c = run_evolution(space, fitness.batch(), constraint, config);
  std::set<Arch> archs_a, archs_c;
  for (const Candidate& x : a.archive) archs_a.insert(x.arch);
  for (const Candidate& x : c.archive) archs_c.insert(x.arch);
  EXPECT_NE(archs_a, archs_c);
}

// A fitness with ties (here: one value for every network) must not let the search's order fall
// to MACs: the best network would then always be the interval's lowest-MACs one.
TEST(EvolutionTest, TiesAreBrokenAtRandomNotByMacs) {
  const SearchSpace space = test::fashion_space();
  const Constraint constraint{8'000'000, 8'200'000};
  const FitnessFn constant = [](const std::vector<Arch>& archs) { return std::vector<double>(archs.size(), 0.5); };
  EvolutionConfig config;
  config.num_generations = 10;
  int lowest = 0;
  std::set<Arch> bests;
  double position = 0;  // of the best's MACs in [min, max] of its archive, averaged over seeds
  const int seeds = 20;
  for (int seed = 0; seed < seeds; ++seed) {
    config.seed = static_cast<uint64_t>(seed);
    const EvolutionResult r = run_evolution(space, constant, constraint, config);
    expect_valid_result(space, r, constraint);
    ASSERT_GT(r.archive.size(), 50u);
    int64_t lo = r.archive.front().efficiency, hi = lo;
    for (const Candidate& c : r.archive) {
      lo = std::min(lo, c.efficiency);
      hi = std::max(hi, c.efficiency);
    }
    lowest += r.best->efficiency == lo;
    position += static_cast<double>(r.best->efficiency - lo) / static_cast<double>(hi - lo) / seeds;
    bests.insert(r.best->arch);
    // The archive's order among ties is not a MACs order either way.
    EXPECT_FALSE(std::is_sorted(r.archive.begin(), r.archive.end(),
                                [](const Candidate& x, const Candidate& y) { return x.efficiency < y.efficiency; }));
    EXPECT_FALSE(std::is_sorted(r.archive.begin(), r.archive.end(),
                                [](const Candidate& x, const Candidate& y) { return x.efficiency > y.efficiency; }));
  }
  // With a MACs tie-break all 20 bests would be their archive's lowest; at random about 20 / |archive|.
  EXPECT_LE(lowest, 2);
  EXPECT_GT(position, 0.25);
  EXPECT_LT(position, 0.75);
  EXPECT_GE(bests.size(), 18u);  // each seed its own pick
}

TEST(EvolutionTest, IntervalOutsideTheRangeIsUnreachable) {
  const SearchSpace space = test::fashion_space();
  const int64_t lo = space.macs(space.min_arch()), hi = space.macs(space.max_arch());
  const test::SyntheticFitness fitness(space, 1);
  int64_t calls = 0;
  for (const Constraint& c : {Constraint{0, lo}, Constraint{hi + 1, hi + 1000}}) {
    const EvolutionResult result =
        run_evolution(space, fitness.batch(&calls), c, EvolutionConfig{});
    EXPECT_FALSE(result.feasible);
    EXPECT_FALSE(result.best.has_value());
    EXPECT_TRUE(result.population.empty());
    EXPECT_TRUE(result.archive.empty());
    EXPECT_EQ(result.num_evaluations, 0);
  }
  EXPECT_EQ(calls, 0);
  // The bounds themselves are reachable: [lo, lo + 1) holds exactly the smallest network.
  const EvolutionResult smallest =
      run_evolution(space, fitness.batch(), Constraint{lo, lo + 1}, EvolutionConfig{});
  ASSERT_TRUE(smallest.feasible);
  EXPECT_EQ(smallest.archive.size(), 1u);
  EXPECT_EQ(smallest.best->arch, space.min_arch());
}

TEST(EvolutionTest, GapBetweenNetworksIsUnreachableWithoutHanging) {
  // Compofa has 243 networks: a one-MAC interval between two of them holds none, inside the range.
  const SearchSpace space = SearchSpace::from_name("compofa");
  std::vector<int64_t> macs;
  for (const Arch& a : space.enumerate()) macs.push_back(space.macs(a));
  std::sort(macs.begin(), macs.end());
  const int64_t gap = macs[macs.size() / 2] + 1;
  ASSERT_FALSE(std::binary_search(macs.begin(), macs.end(), gap));
  const test::SyntheticFitness fitness(space, 1);
  const EvolutionResult result =
      run_evolution(space, fitness.batch(), Constraint{gap, gap + 1}, EvolutionConfig{});
  EXPECT_FALSE(result.feasible);
  EXPECT_TRUE(result.archive.empty());
}

TEST(EvolutionTest, FallbackWalkFillsARareInterval) {
  // Just above the smallest network: uniform sampling almost never lands there.
  const SearchSpace space = test::fashion_space();
  const int64_t lo = space.macs(space.min_arch());
  const Constraint constraint{lo + 20'000, lo + 60'000};
  const test::SyntheticFitness fitness(space, 2);
  EvolutionConfig config;
  config.num_generations = 10;
  config.init_max_samples = 200;
  const EvolutionResult result = run_evolution(space, fitness.batch(), constraint, config);
  expect_valid_result(space, result, constraint);
  EXPECT_GT(result.num_fallback_members, 0);
  EXPECT_GE(result.archive.size(), 10u);
}

TEST(EvolutionTest, GenericEfficiencyFunction) {
  const SearchSpace space = test::fashion_space();
  const test::SyntheticFitness fitness(space, 4);
  const EfficiencyFn params = [&space](const Arch& a) { return space.params(a); };
  const int64_t lo = space.params(space.min_arch()), hi = space.params(space.max_arch());
  const Constraint constraint{lo + (hi - lo) / 3, lo + (hi - lo) / 3 + 20'000};
  EvolutionConfig config;
  config.num_generations = 10;
  const EvolutionResult result = run_evolution(space, fitness.batch(), constraint, config, params);
  ASSERT_TRUE(result.feasible);
  for (const Candidate& c : result.archive) {
    EXPECT_EQ(c.efficiency, space.params(c.arch));
    EXPECT_TRUE(constraint.contains(c.efficiency));
  }
}

TEST(EvolutionTest, BadFitnessIsAnError) {
  const SearchSpace space = SearchSpace::from_name("compofa");
  EvolutionConfig config;
  config.num_generations = 2;
  const FitnessFn short_batch = [](const std::vector<Arch>& archs) {
    return std::vector<double>(archs.size() - 1, 0.0);
  };
  const FitnessFn nan = [](const std::vector<Arch>& archs) {
    return std::vector<double>(archs.size(), std::nan(""));
  };
  EXPECT_THROW(run_evolution(space, short_batch, Constraint{}, config), Error);
  EXPECT_THROW(run_evolution(space, nan, Constraint{}, config), Error);
  EXPECT_THROW(run_evolution(space, FitnessFn{}, Constraint{}, config), Error);
  EXPECT_THROW(
      run_evolution(space, test::SyntheticFitness(space, 1).batch(), Constraint{5, 5}, config),
      Error);
}

TEST(EvolutionConfigTest, DefaultsAreThePapersAndOfas) {
  const EvolutionConfig config;
  EXPECT_EQ(config.population_size, 50);
  EXPECT_EQ(config.num_generations, 100);
  EXPECT_EQ(config.num_parents(), 12);  // Python round(12.5) = 12, as OFA
  EXPECT_EQ(config.num_mutants(), 25);
  EXPECT_EQ(config.max_tries, 50);
  EXPECT_DOUBLE_EQ(config.mutate_prob, 0.1);
  EXPECT_NO_THROW(config.validate());
}

TEST(EvolutionConfigTest, ValidateNamesTheField) {
  auto expect_error = [](EvolutionConfig config, const std::string& field) {
    try {
      config.validate();
      ADD_FAILURE() << "no error for " << field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  EvolutionConfig c;
  c.population_size = 1;
  expect_error(c, "population_size");
  c = {};
  c.parent_ratio = 0;
  expect_error(c, "parent_ratio");
  c = {};
  c.mutation_ratio = 1.5;
  expect_error(c, "mutation_ratio");
  c = {};
  c.mutate_prob = -0.1;
  expect_error(c, "mutate_prob");
  c = {};
  c.max_tries = 0;
  expect_error(c, "max_tries");
  c = {};
  c.num_generations = -1;
  expect_error(c, "num_generations");
}

TEST(EvolutionConfigTest, JsonRoundTripAndStrictKeys) {
  EvolutionConfig c;
  c.population_size = 100;
  c.num_generations = 500;
  c.seed = 3;
  c.mutate_prob = 0.2;
  const nlohmann::json j = c;
  const EvolutionConfig back = j.get<EvolutionConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  try {
    nlohmann::json{{"population", 5}}.get<EvolutionConfig>();
    ADD_FAILURE() << "unknown key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("population_size"), std::string::npos) << e.what();
  }
  for (const char* text :
       {R"({"population_size": 2.5})", R"({"seed": -1})", R"({"mutate_prob": "x"})"}) {
    EXPECT_THROW(nlohmann::json::parse(text).get<EvolutionConfig>(), Error) << text;
  }
}

}  // namespace
}  // namespace sparsenas::search
