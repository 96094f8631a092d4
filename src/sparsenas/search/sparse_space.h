#pragma once
// The sparse search space (paper §4 Algorithm 1, §5.3; DESIGN stage 5): split a MACs range into
// equal intervals and find each of the top_k networks of an interval by its own evolutionary
// search with the early predictor as fitness. Written as `sparse_space.json`. Beyond the paper
// (issue 14), the intervals may split the latency a table predicts instead of MACs
// (SparseSpaceConfig::constraint "latency"): the same algorithm with another efficiency.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/search/evolution.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::search {

/// The paper's range (§5.3), for ofa-mbv3 at 224x224x3 with 1000 classes: five networks from each
/// 1M-MACs interval from 150M to 500M MACs (350 intervals, 1750 networks).
constexpr int64_t kPaperMinMacs = 150'000'000;
constexpr int64_t kPaperMaxMacs = 500'000'000;
constexpr int64_t kPaperIntervalMacs = 1'000'000;

/// A MACs range split into intervals of width `interval`: [min + i * interval, min + (i+1) *
/// interval) for i < num_intervals(); the last one is cut at `max_macs` when the width does not
/// divide the range.
struct MacsRange {
  int64_t min_macs = 0;
  int64_t max_macs = 0;
  int64_t interval = 0;
  /// ceil((max_macs - min_macs) / interval).
  int64_t num_intervals() const;
};

/// The paper's range and interval scaled to `space` by MACs position. Let [r_lo, r_hi] be the MACs
/// of the smallest and largest network of ofa-mbv3 at 224x224x3, 1000 classes (the paper's setting,
/// ~121M..566M), [lo, hi] those of `space` and s = (hi - lo) / (r_hi - r_lo). Then
///   interval = round(1M * s) (at least 1), min_macs = lo + round((150M - r_lo) * s),
///   max_macs = min_macs + 350 * interval,
/// i.e. the same 350 intervals at the same relative positions in the space's MACs range (the
/// identity for the paper's setting). Example: ofa-mbv3 at 28x28x1, 10 classes spans 3.67M..14.21M
/// MACs and gets 350 intervals of 23,697 MACs from 4.35M to 12.65M.
MacsRange default_macs_range(const space::SearchSpace& space);

/// The same scaling for any efficiency whose smallest and largest values over the space are `lo`
/// and `hi` (default_macs_range is scaled_paper_range(macs(min_arch), macs(max_arch))): the
/// paper's 350 intervals at the same relative positions in [lo, hi].
MacsRange scaled_paper_range(int64_t lo, int64_t hi);

/// The default grid of a latency-constrained sparse space: scaled_paper_range over the predicted
/// latency (integer microseconds) of the space's fastest and slowest networks.
MacsRange default_latency_range(const LatencyPredictor& latency);

/// SparseSpaceConfig::constraint values.
constexpr const char* kConstraintMacs = "macs";
constexpr const char* kConstraintLatency = "latency";

/// Settings of the sparse-space build.
///
/// Example (JSON): `{"top_k": 5, "evolution": {"population_size": 50, "seed": 1}}` (range scaled
/// from the paper's), or `{"min_macs": 150000000, "max_macs": 500000000, "interval": 1000000}`,
/// or on a device's latency grid `{"constraint": "latency", "latency_table": "lut.json"}`.
///
/// With constraint "latency" the efficiency of a network is its latency predicted by the table
/// (LatencyPredictor::micros, integer microseconds) and min_macs, max_macs and interval are in
/// microseconds of that prediction (0 = default_latency_range); the search is otherwise the same.
struct SparseSpaceConfig {
  static constexpr const char* kName = "SparseSpaceConfig";  ///< prefix of field names in errors

  int64_t min_macs = 0;
  int64_t max_macs = 0;
  int64_t interval = 0;
  int64_t top_k = 5;
  /// 0: off (the paper). > top_k: re-ranking, an option beyond the paper (issue 12 item 6): each
  /// interval runs this many searches (Algorithm 1 continued), the candidates are measured (the
  /// pipeline: top-1 on the proxy supernet, as the pairs) and the top_k best measured are kept.
  int64_t rerank_pool = 0;
  /// "macs" (the paper) or "latency": what the intervals split (see above).
  std::string constraint = kConstraintMacs;
  /// With constraint "latency": the table (`sparsenas latency-table --out`), relative to the
  /// working directory; it must be made for the space and its shape.
  std::string latency_table;
  /// The search for network k of interval i runs with seed network_seed(evolution.seed, i, k).
  EvolutionConfig evolution;

  /// The fields: JSON key, one-line doc, allowed values (core/config_fields.h). min_macs <
  /// max_macs is checked in validate().
  template <class V>
  void fields(V& v) {
    v("min_macs", min_macs, "start of the first interval; 0 = default_macs_range(space).min_macs")
        .min(0)
        .note("0 = scaled default");
    v("max_macs", max_macs, "end of the last interval (exclusive); 0 = the default's max_macs")
        .min(0)
        .note("0 = scaled default");
    v("interval", interval, "width of one interval in MACs; 0 = the default's interval")
        .min(0)
        .note("0 = scaled default");
    v("top_k", top_k, "networks per interval, each found by its own search (paper: 5)").range(1, 1000000);
    v("rerank_pool", rerank_pool,
      "0 = off (paper); > top_k: candidates per interval, the top_k by measured proxy accuracy kept")
        .range(0, 1000000)
        .note("0 = off");
    v("constraint", constraint,
      "what the intervals split: macs (paper) or latency (predicted by latency_table, in microseconds)")
        .one_of({kConstraintMacs, kConstraintLatency});
    v("latency_table", latency_table, "with constraint latency: the latency table (sparsenas latency-table)");
    v("evolution", evolution, "each search (one per network of the sparse space)");
  }

  /// Throws sparsenas::Error naming the field, the expected range and the value; also when
  /// constraint is "latency" without a latency_table, or a latency_table is given with "macs".
  void validate() const;
  bool latency() const { return constraint == kConstraintLatency; }
};

/// Writes every field ("evolution" as a nested object).
void to_json(nlohmann::json& json, const SparseSpaceConfig& config);
/// Reads the keys present; unknown keys (also inside "evolution") throw listing the valid keys.
/// Does not call `validate()`.
void from_json(const nlohmann::json& json, SparseSpaceConfig& config);

/// `config` with its zero range fields taken from default_macs_range(space), or with constraint
/// "latency" from default_latency_range(*latency); validated, and checked to give at most
/// 1,000,000 intervals. `latency` is required with constraint "latency" (an error otherwise) and
/// ignored with "macs".
SparseSpaceConfig resolved_config(const SparseSpaceConfig& config, const space::SearchSpace& space,
                                  const LatencyPredictor* latency = nullptr);

/// One network of the sparse space.
struct SparseArch {
  space::Arch arch;  ///< canonical
  int64_t macs = 0;
  int64_t params = 0;
  double predicted = 0.0;  ///< fitness (predicted accuracy) that selected it
  /// The measurement that re-ranked it (config.rerank_pool > 0); NaN when not re-ranked.
  double measured = std::numeric_limits<double>::quiet_NaN();
  /// Constraint "latency": the predicted latency in microseconds that placed it in its interval;
  /// -1 with constraint "macs".
  int64_t latency_us = -1;
};

/// One interval [min_macs, max_macs) of the constraint's efficiency (MACs, or microseconds of
/// predicted latency) and the networks kept from it, best first.
struct SparseInterval {
  int64_t index = 0;  ///< position in the split, from 0
  int64_t min_macs = 0;
  int64_t max_macs = 0;
  std::vector<SparseArch> archs;  ///< 1..top_k distinct entries; fewer than top_k when every
                                  ///< network a search evaluated was taken by an earlier search
  int64_t num_evaluations = 0;    ///< fitness evaluations of all the interval's searches (each
                                  ///< search caches its own, so a network may count more than once)
};

/// The result of `build_sparse_space`, serialised as `sparse_space.json`:
/// `{"space": <SpaceSpec>, "config": <resolved SparseSpaceConfig>, "num_evaluations": n,
///   "intervals": [{"index", "min_macs", "max_macs", "num_evaluations",
///                  "archs": [{"arch": {"ks","e","d"}, "macs", "params", "predicted"[, "measured"]
///                             [, "latency_us"]}]}],
///   "unreachable": [{"index", "min_macs", "max_macs"}]}`.
/// Networks are distinct across the whole space (intervals are disjoint in MACs). With config
/// constraint "latency" the bounds are microseconds and every network has "latency_us" (its
/// predicted latency, inside its interval); with "macs" the config's "constraint" and
/// "latency_table" keys are left out, so the file is the one earlier versions wrote.
struct SparseSpace {
  space::SpaceSpec space;                   ///< the space searched
  SparseSpaceConfig config;                 ///< resolved (no zero range fields)
  std::vector<SparseInterval> intervals;    ///< intervals with networks, in MACs order
  std::vector<SparseInterval> unreachable;  ///< intervals in which no network was found (no
                                            ///< archs): outside the space's range or in a gap
  int64_t num_evaluations = 0;              ///< fitness evaluations over all intervals

  /// Every network, interval by interval, best first within an interval.
  std::vector<space::Arch> archs() const;
  /// Number of networks.
  int64_t size() const;
};

void to_json(nlohmann::json& json, const SparseSpace& sparse);
/// Strict: unknown keys throw; every architecture is checked against the stored space.
void from_json(const nlohmann::json& json, SparseSpace& sparse);

/// Writes `sparse_space.json` atomically.
void write_sparse_space(const std::filesystem::path& path, const SparseSpace& sparse);
/// Reads and checks a file written by write_sparse_space; errors name the file.
SparseSpace read_sparse_space(const std::filesystem::path& path);

/// What the build reports after each interval.
struct IntervalProgress {
  int64_t index = 0;          ///< interval just searched
  int64_t num_intervals = 0;  ///< total
  int64_t min_macs = 0, max_macs = 0;
  bool feasible = false;      ///< false: reported in SparseSpace::unreachable
  int64_t num_archs = 0;      ///< networks kept
  double best_predicted = 0;  ///< best fitness in the interval (0 when infeasible)
  int64_t num_evaluations = 0;
};
using SparseProgressFn = std::function<void(const IntervalProgress&)>;

/// The seed of the search for network `k` (from 0) of interval `interval`:
/// mix_seed(seed, interval, k).
uint64_t network_seed(uint64_t seed, int64_t interval, int64_t k);

/// Builds the sparse space as the paper's Algorithm 1: "for i in 1..N*: random sample a set of
/// networks, estimate them, evolutionary search the high-quality network alpha_i*, append it to
/// A*", with N* = top_k * (number of intervals) and the searches grouped by MACs interval (§5.3:
/// five networks per interval). For each interval i of the resolved config's range (MACs
/// efficiency) and k = 0..top_k-1, one `run_evolution` with seed network_seed(evolution.seed, i, k)
/// (its own initial population and its own random tie-break) contributes its best network, or, when
/// that network was contributed by an earlier search of the interval, its best network not yet in
/// the sparse space (the first of its archive, best first, that is new): no architecture is kept
/// twice. Intervals are disjoint in MACs, so networks are distinct across the whole space. When
/// the first search of an interval finds no network in it, the interval is unreachable and its other
/// searches are not run. An interval's networks are sorted by predicted value descending, equal
/// values in the order of their searches. Cost: top_k searches per interval (this replaced one
/// search per interval keeping its top_k, which made a tie-break decide among near-duplicates).
/// `progress` (may be empty) is called after each interval. Single-threaded; deterministic for a
/// given config.
///
/// Re-ranking (config.rerank_pool > 0): each interval runs rerank_pool searches instead of top_k,
/// `measure` is called once per interval with its candidates (best predicted first) and must return
/// one value per candidate, higher better; the top_k by measured value are kept, best first (equal
/// values keep the predicted order), with `measured` set. `measure` is required then and ignored
/// otherwise.
///
/// Constraint "latency": `latency` (required then, ignored otherwise) is the efficiency of every
/// search (LatencyPredictor::efficiency) and gives each network's latency_us.
SparseSpace build_sparse_space(const space::SearchSpace& space, const FitnessFn& fitness,
                               const SparseSpaceConfig& config,
                               const SparseProgressFn& progress = {}, const FitnessFn& measure = {},
                               const LatencyPredictor* latency = nullptr);

/// A sparse space that holds exactly `archs` (a whole small space such as CompOFA's 243 networks,
/// or a random sub-space), grouped into the intervals of the resolved `config`'s range. The range
/// is widened by whole intervals on either side until it covers every network, so the grid is the
/// one `build_sparse_space` uses, extended. Networks are canonicalised in `space` (each must be a
/// member; duplicates are an error), `predicted` is 0 (no predictor chose them), intervals keep
/// the given order, and intervals without networks are listed as unreachable. No fitness
/// evaluations. Constraint "latency": grouped by `latency` (required then) instead of MACs.
SparseSpace sparse_space_from_list(const space::SearchSpace& space, const std::vector<space::Arch>& archs,
                                   const SparseSpaceConfig& config, const LatencyPredictor* latency = nullptr);

}  // namespace sparsenas::search
