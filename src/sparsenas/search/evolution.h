#pragma once
// Evolutionary search under an efficiency constraint: OFA's EvolutionFinder with CompOFA's retry
// cap and compound-aware operators, a fitness cache and a fallback for intervals that uniform
// sampling rarely hits (reference/ofa_compofa.md §6.1, §7.4; SparseNAS paper §4, §5.3).

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/core/random.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::search {

/// Scores of a batch of canonical architectures, one per input and in the same order; higher is
/// better (predicted accuracy). Must be deterministic and finite: `run_evolution` caches every
/// value and never asks twice for the same architecture. Called once per generation with the new
/// architectures of that generation (a batch of at most `population_size`), so a GBDT predictor can
/// score them in one call.
using FitnessFn = std::function<std::vector<double>(const std::vector<space::Arch>&)>;

/// Efficiency of an architecture (an integer in the units of the constraint, e.g. MACs, latency in
/// microseconds, parameters). Must be deterministic. It is called on canonical members of the space
/// and may validate them. Empty means "MACs" (`SearchSpace::macs`, through its unchecked fast
/// path).
using EfficiencyFn = std::function<int64_t(const space::Arch&)>;

/// The feasible set of an efficiency value: the half-open interval [min_macs, max_macs). The names
/// say MACs because that is the default efficiency and the paper's; with an `EfficiencyFn` the
/// bounds are in its units.
struct Constraint {
  int64_t min_macs = 0;                                    ///< inclusive lower bound
  int64_t max_macs = std::numeric_limits<int64_t>::max();  ///< exclusive upper bound

  bool contains(int64_t value) const { return value >= min_macs && value < max_macs; }
  /// Distance of `value` to the interval: 0 inside, else how far below or at/above it lies.
  int64_t distance(int64_t value) const;
  /// Throws sparsenas::Error unless min_macs < max_macs.
  void validate() const;
};

/// Settings of one evolutionary search. Defaults are the SparseNAS paper's (§5.3: population 50,
/// 100 iterations) and OFA's EvolutionFinder (parent ratio 0.25, mutation ratio 0.5, mutate
/// probability 0.1), with CompOFA's cap of 50 tries per offspring.
///
/// One generation: the `num_parents()` fittest distinct architectures are kept; `num_mutants()`
/// children are mutants of uniformly drawn parents and the other `population_size - num_mutants()`
/// are uniform crossovers of two uniformly drawn parents; the next population is parents +
/// children. An offspring is retried (same parents) until it satisfies the constraint and differs
/// from its parent(s), at most `max_tries` times; then new parents are drawn, at most
/// `max_parent_picks` times; then that child is dropped (the generation is smaller, never stuck).
///
/// Example (JSON): `{"population_size": 100, "num_generations": 500, "seed": 3}` (CompOFA run_NAS).
struct EvolutionConfig {
  static constexpr const char* kName = "EvolutionConfig";  ///< prefix of field names in errors

  int64_t population_size = 50;
  int64_t num_generations = 100;
  double parent_ratio = 0.25;
  double mutation_ratio = 0.5;
  double mutate_prob = 0.1;
  int64_t max_tries = 50;
  int64_t max_parent_picks = 4;
  int64_t init_max_samples = 1000;
  uint64_t seed = 0;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h).
  template <class V>
  void fields(V& v) {
    v("population_size", population_size,
      "P: initial population and children per generation (paper: 50)")
        .range(2, 1000000);
    v("num_generations", num_generations, "N: generations (paper: 100 iterations; OFA 500)")
        .range(0, 10000000);
    v("parent_ratio", parent_ratio, "parents kept per generation = round(ratio * P), at least 1")
        .range(0, 1, "(]");
    v("mutation_ratio", mutation_ratio, "mutants per generation = round(ratio * P); rest crossover")
        .range(0, 1);
    v("mutate_prob", mutate_prob, "per block slot and per stage probability of resampling")
        .range(0, 1);
    v("max_tries", max_tries, "tries per offspring with the same parents (CompOFA: 50)")
        .range(1, 1000000);
    v("max_parent_picks", max_parent_picks, "parent draws per offspring before the child is dropped")
        .range(1, 1000000);
    v("init_max_samples", init_max_samples,
      "uniform samples drawn for the initial population before the fallback (see run_evolution)")
        .range(0, 1000000000);
    v("seed", seed, "seed of every random draw of the search and of the order among equal fitness");
  }

  /// Throws sparsenas::Error naming the field, the expected range and the value.
  void validate() const;
  /// round(parent_ratio * population_size), at least 1.
  int64_t num_parents() const;
  /// round(mutation_ratio * population_size).
  int64_t num_mutants() const;
};

/// Writes every field.
void to_json(nlohmann::json& json, const EvolutionConfig& config);
/// Reads the keys present (others keep their values). Unknown keys and wrongly typed values throw
/// sparsenas::Error listing the valid keys. Does not call `validate()`.
void from_json(const nlohmann::json& json, EvolutionConfig& config);

/// One evaluated architecture.
struct Candidate {
  space::Arch arch;        ///< canonical
  double fitness = 0.0;    ///< the FitnessFn value
  int64_t efficiency = 0;  ///< the EfficiencyFn value (MACs by default)
};

/// Outcome of `run_evolution`. Lists are sorted best first: fitness descending, equal fitness in a
/// random order fixed by the seed (each architecture's key is mix_seed(seed, tag, ArchHash(arch))),
/// never by efficiency. A predictor such as a shallow GBDT gives many networks one value; a
/// lowest-MACs tie-break would then fill an interval's top from its lower edge. Equal seeds give
/// equal results; parents are chosen in the same order, so ties among parents are broken at random
/// too.
struct EvolutionResult {
  /// False when no architecture satisfying the constraint was found within the budget (the
  /// interval is outside the space's range, falls in a gap, or is too rare to hit): then every
  /// list below is empty, `best` is empty and `num_evaluations` is 0.
  bool feasible = false;
  std::vector<Candidate> population;  ///< final population (last parents + last children), distinct
  std::vector<Candidate> archive;     ///< every distinct architecture evaluated (all feasible)
  std::optional<Candidate> best;      ///< archive.front() when feasible
  std::vector<double> best_per_generation;  ///< best fitness after the initial population and
                                            ///< after each generation (size num_generations + 1)
  int64_t num_evaluations = 0;              ///< architectures passed to the FitnessFn (distinct)
  int64_t num_efficiency_calls = 0;         ///< candidates whose efficiency was computed
  int64_t num_dropped_children = 0;  ///< offspring given up after max_tries * max_parent_picks
  int64_t num_fallback_members = 0;  ///< initial members found by the fallback walk, not sampling
};

/// Evolutionary search for the fittest architectures of `space` whose efficiency lies in
/// `constraint`.
///
/// Operators (OFA's, on canonical architectures; every offspring is canonical):
/// - mutation: each active block slot with probability `mutate_prob` resamples its kernel size
///   and expand ratio together; each stage with probability `mutate_prob` resamples its depth.
///   Slots that a larger depth activates get a uniform kernel size and expand ratio (OFA keeps
///   random "hidden" values in inactive slots; a canonical form resets them, so this restores
///   OFA's distribution instead of biasing new blocks to the smallest choices).
/// - crossover: depth per stage and kernel size and expand ratio per slot, each from either parent
///   with probability 1/2 (OFA's uniform crossover); a slot active in the child but in only one
///   parent takes that parent's values.
/// - coupled (CompOFA) stages use the compound-aware operators of CompOFA's NAS: mutating a stage's
///   depth resets its expand ratios to the coupled value; crossover picks one parent per stage and
///   copies its depth together with its expand ratios, kernel sizes still crossed per slot.
///
/// Constraint by rejection, as OFA: an offspring that is outside `constraint` (or equal to its
/// parent) is retried (see EvolutionConfig). Initial population: up to `init_max_samples` uniform
/// samples (`SearchSpace::sample`) are drawn and the distinct feasible ones kept. If fewer than
/// `population_size` were found (a narrow interval, or one at the edge of the space's range), the
/// rest is filled by a fallback walk: a fresh uniform sample is moved, one gene at a time, to the
/// neighbour (one depth, kernel size or expand ratio changed) closest to the interval until it is
/// inside; at most `max_tries` walks per missing member. If neither finds any feasible
/// architecture, the result is empty and `feasible` is false. With the default (MACs) efficiency an
/// interval that lies wholly below the smallest or above the largest network is reported
/// infeasible at once.
///
/// Where this differs from OFA's EvolutionFinder, and why: parents are the fittest *distinct*
/// architectures and a child equal to its parent(s) counts as a failed try (the fitness is cached,
/// so copies only crowd the population in narrow intervals); retries are capped (CompOFA) and a
/// child is dropped after max_tries * max_parent_picks (OFA retries forever); the last
/// generation's children take part in `best` (OFA reports the best parent of the last round);
/// equal fitness is ordered by a random key per architecture (OFA's stable sort keeps the order of
/// arrival, which is random too but makes the result depend on how candidates were batched).
///
/// Throws sparsenas::Error for an invalid config or constraint, a FitnessFn that returns the wrong
/// number of values or a non-finite value. Deterministic for a given seed.
EvolutionResult run_evolution(const space::SearchSpace& space, const FitnessFn& fitness,
                              const Constraint& constraint, const EvolutionConfig& config,
                              const EfficiencyFn& efficiency = {});

}  // namespace sparsenas::search
