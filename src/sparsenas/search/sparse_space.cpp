#include "sparsenas/search/sparse_space.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "sparsenas/core/json_fields.h"

namespace sparsenas::search {

using json = nlohmann::json;

namespace {

constexpr int64_t kMaxIntervals = 1000000;

json interval_bounds_json(const SparseInterval& interval) {
  return json{
      {"index", interval.index}, {"min_macs", interval.min_macs}, {"max_macs", interval.max_macs}};
}

// Reads {"index", "min_macs", "max_macs"} (and, for a kept interval, its other keys).
void read_bounds(const json& j, const char* what, SparseInterval& interval) {
  for (const char* key : {"index", "min_macs", "max_macs"}) {
    SNAS_CHECK(j.contains(key), what, " must have the key '", key, "', got ", j.dump());
  }
  json_fields::read_field(j, what, "index", interval.index);
  json_fields::read_field(j, what, "min_macs", interval.min_macs);
  json_fields::read_field(j, what, "max_macs", interval.max_macs);
  SNAS_CHECK(interval.min_macs < interval.max_macs, what, ": min_macs must be < max_macs, got ",
             interval.min_macs, " and ", interval.max_macs);
}

}  // namespace

uint64_t network_seed(uint64_t seed, int64_t interval, int64_t k) {
  return mix_seed(seed, static_cast<uint64_t>(interval), static_cast<uint64_t>(k));
}

int64_t MacsRange::num_intervals() const {
  if (interval <= 0 || max_macs <= min_macs) return 0;
  return (max_macs - min_macs + interval - 1) / interval;
}

MacsRange default_macs_range(const space::SearchSpace& space) {
  return scaled_paper_range(space.macs(space.min_arch()), space.macs(space.max_arch()));
}

MacsRange default_latency_range(const LatencyPredictor& latency) {
  return scaled_paper_range(latency.micros(latency.fastest()), latency.micros(latency.slowest()));
}

MacsRange scaled_paper_range(int64_t lo, int64_t hi) {
  const space::SearchSpace reference(space::builtin_spec("ofa-mbv3"));  // 224x224x3, 1000 classes
  const double r_lo = static_cast<double>(reference.macs(reference.min_arch()));
  const double r_hi = static_cast<double>(reference.macs(reference.max_arch()));
  const double scale = static_cast<double>(hi - lo) / (r_hi - r_lo);
  MacsRange range;
  range.interval = std::max<int64_t>(1, std::llround(kPaperIntervalMacs * scale));
  range.min_macs = lo + std::llround((kPaperMinMacs - r_lo) * scale);
  range.max_macs =
      range.min_macs + (kPaperMaxMacs - kPaperMinMacs) / kPaperIntervalMacs * range.interval;
  return range;
}

void SparseSpaceConfig::validate() const {
  config_fields::validate_fields(*this, kName);
  SNAS_CHECK(min_macs == 0 || max_macs == 0 || min_macs < max_macs,
             "SparseSpaceConfig.min_macs must be < max_macs, got ", min_macs, " and ", max_macs);
  SNAS_CHECK(rerank_pool == 0 || rerank_pool > top_k,
             "SparseSpaceConfig.rerank_pool must be 0 (off) or > top_k (", top_k, "), got ", rerank_pool);
  SNAS_CHECK(!latency() || !latency_table.empty(),
             "SparseSpaceConfig.latency_table must name a latency table (sparsenas latency-table --out) with "
             "constraint \"latency\", got none");
  SNAS_CHECK(latency() || latency_table.empty(), "SparseSpaceConfig.latency_table is used only with constraint \"",
             kConstraintLatency, "\", got \"", latency_table, "\" with constraint \"", constraint, "\"");
}

void to_json(json& j, const SparseSpaceConfig& c) { j = config_fields::to_json(c); }

namespace {

// The config as sparse_space.json holds it: the latency keys only with constraint "latency", so a
// MACs sparse space is written as before they existed.
json file_config_json(const SparseSpaceConfig& c) {
  json j = c;
  if (!c.latency()) {
    j.erase("constraint");
    j.erase("latency_table");
  }
  return j;
}

const LatencyPredictor* required_latency(const SparseSpaceConfig& c, const LatencyPredictor* latency,
                                         const char* where) {
  if (!c.latency()) return nullptr;
  SNAS_CHECK(latency != nullptr, where, ": constraint \"latency\" needs the latency table's predictor (",
             c.latency_table, ")");
  return latency;
}

}  // namespace

void from_json(const json& j, SparseSpaceConfig& c) {
  config_fields::read(j, c, SparseSpaceConfig::kName);
}

SparseSpaceConfig resolved_config(const SparseSpaceConfig& config, const space::SearchSpace& space,
                                  const LatencyPredictor* latency) {
  config.validate();
  latency = required_latency(config, latency, "resolved_config");
  SparseSpaceConfig out = config;
  if (out.min_macs == 0 || out.max_macs == 0 || out.interval == 0) {
    const MacsRange range = latency ? default_latency_range(*latency) : default_macs_range(space);
    if (out.min_macs == 0) out.min_macs = range.min_macs;
    if (out.max_macs == 0) out.max_macs = range.max_macs;
    if (out.interval == 0) out.interval = range.interval;
  }
  SNAS_CHECK(out.min_macs < out.max_macs,
             "SparseSpaceConfig: min_macs must be < max_macs after "
             "filling defaults for space ",
             space.name(), ", got ", out.min_macs, " and ", out.max_macs);
  const MacsRange range{out.min_macs, out.max_macs, out.interval};
  SNAS_CHECK(range.num_intervals() <= kMaxIntervals,
             "SparseSpaceConfig: (max_macs - min_macs) / "
             "interval must give at most ",
             kMaxIntervals, " intervals, got ", range.num_intervals(), " (min_macs ", out.min_macs,
             ", max_macs ", out.max_macs, ", interval ", out.interval, ")");
  return out;
}

std::vector<space::Arch> SparseSpace::archs() const {
  std::vector<space::Arch> out;
  for (const SparseInterval& interval : intervals) {
    for (const SparseArch& entry : interval.archs) out.push_back(entry.arch);
  }
  return out;
}

int64_t SparseSpace::size() const {
  int64_t n = 0;
  for (const SparseInterval& interval : intervals) n += static_cast<int64_t>(interval.archs.size());
  return n;
}

void to_json(json& j, const SparseSpace& s) {
  j = json::object();
  j["space"] = space::to_json(s.space);
  j["config"] = file_config_json(s.config);
  j["num_evaluations"] = s.num_evaluations;
  j["size"] = s.size();
  j["intervals"] = json::array();
  for (const SparseInterval& interval : s.intervals) {
    json entry = interval_bounds_json(interval);
    entry["num_evaluations"] = interval.num_evaluations;
    entry["archs"] = json::array();
    for (const SparseArch& a : interval.archs) {
      json arch{{"arch", space::to_json(a.arch)}, {"macs", a.macs}, {"params", a.params}, {"predicted", a.predicted}};
      if (std::isfinite(a.measured)) arch["measured"] = a.measured;
      if (s.config.latency()) arch["latency_us"] = a.latency_us;
      entry["archs"].push_back(std::move(arch));
    }
    j["intervals"].push_back(std::move(entry));
  }
  j["unreachable"] = json::array();
  for (const SparseInterval& interval : s.unreachable) {
    j["unreachable"].push_back(interval_bounds_json(interval));
  }
}

void from_json(const json& j, SparseSpace& s) {
  json_fields::check_keys(j, "sparse space",
                     {"space", "config", "num_evaluations", "size", "intervals", "unreachable"});
  for (const char* key : {"space", "config", "intervals", "unreachable"}) {
    SNAS_CHECK(j.contains(key), "sparse space must have the key '", key, "'");
  }
  s = SparseSpace{};
  s.space = space::space_spec_from_json(j.at("space"));
  from_json(j.at("config"), s.config);
  s.config.validate();
  json_fields::read_field(j, "sparse space", "num_evaluations", s.num_evaluations);
  const space::SearchSpace searched(s.space);
  SNAS_CHECK(j.at("intervals").is_array(), "sparse space.intervals must be a list");
  for (size_t i = 0; i < j.at("intervals").size(); ++i) {
    const json& item = j.at("intervals")[i];
    const std::string what = "sparse space.intervals[" + std::to_string(i) + "]";
    json_fields::check_keys(item, what.c_str(),
                       {"index", "min_macs", "max_macs", "num_evaluations", "archs"});
    SparseInterval interval;
    read_bounds(item, what.c_str(), interval);
    json_fields::read_field(item, what.c_str(), "num_evaluations", interval.num_evaluations);
    SNAS_CHECK(item.contains("archs") && item.at("archs").is_array(), what,
               ".archs must be a list");
    for (size_t a = 0; a < item.at("archs").size(); ++a) {
      const json& arch_json = item.at("archs")[a];
      const std::string where = what + ".archs[" + std::to_string(a) + "]";
      json_fields::check_keys(arch_json, where.c_str(),
                              {"arch", "macs", "params", "predicted", "measured", "latency_us"});
      for (const char* key : {"arch", "macs", "params", "predicted"}) {
        SNAS_CHECK(arch_json.contains(key), where, " must have the key '", key, "'");
      }
      SparseArch entry;
      try {
        entry.arch = space::arch_from_json(arch_json.at("arch"));
        searched.validate(entry.arch);
      } catch (const Error& e) {
        SNAS_FAIL(where, ".arch: ", e.what());
      }
      json_fields::read_field(arch_json, where.c_str(), "macs", entry.macs);
      json_fields::read_field(arch_json, where.c_str(), "params", entry.params);
      json_fields::read_field(arch_json, where.c_str(), "predicted", entry.predicted);
      if (arch_json.contains("measured")) json_fields::read_field(arch_json, where.c_str(), "measured", entry.measured);
      SNAS_CHECK(searched.canonical(entry.arch) == entry.arch, where,
                 ".arch must be canonical in space ", searched.name(), ", got ",
                 entry.arch.to_string());
      const int64_t macs = searched.macs(entry.arch);
      SNAS_CHECK(entry.macs == macs, where, ".macs must be ", macs,
                 " (the MACs of its arch in space ", searched.name(), "), got ", entry.macs);
      if (s.config.latency()) {
        SNAS_CHECK(arch_json.contains("latency_us"), where,
                   " must have the key 'latency_us' (the sparse space's constraint is latency)");
        json_fields::read_field(arch_json, where.c_str(), "latency_us", entry.latency_us);
        SNAS_CHECK(entry.latency_us >= interval.min_macs && entry.latency_us < interval.max_macs, where,
                   ".latency_us ", entry.latency_us, " lies outside its interval [", interval.min_macs, ", ",
                   interval.max_macs, ") (microseconds)");
      } else {
        SNAS_CHECK(!arch_json.contains("latency_us"), where,
                   " has 'latency_us' but the sparse space's constraint is macs");
        SNAS_CHECK(macs >= interval.min_macs && macs < interval.max_macs, where, ".macs ", macs,
                   " lies outside its interval [", interval.min_macs, ", ", interval.max_macs, ")");
      }
      interval.archs.push_back(std::move(entry));
    }
    s.intervals.push_back(std::move(interval));
  }
  SNAS_CHECK(j.at("unreachable").is_array(), "sparse space.unreachable must be a list");
  for (size_t i = 0; i < j.at("unreachable").size(); ++i) {
    const std::string what = "sparse space.unreachable[" + std::to_string(i) + "]";
    const json& item = j.at("unreachable")[i];
    json_fields::check_keys(item, what.c_str(), {"index", "min_macs", "max_macs"});
    SparseInterval interval;
    read_bounds(item, what.c_str(), interval);
    s.unreachable.push_back(interval);
  }
}

void write_sparse_space(const std::filesystem::path& path, const SparseSpace& sparse) {
  write_json_file(path, json(sparse));
}

SparseSpace read_sparse_space(const std::filesystem::path& path) {
  const json value = read_json_file(path);
  SparseSpace sparse;
  try {
    from_json(value, sparse);
  } catch (const Error& e) {
    SNAS_FAIL(path.string(), ": ", e.what());
  }
  return sparse;
}

SparseSpace build_sparse_space(const space::SearchSpace& space, const FitnessFn& fitness,
                               const SparseSpaceConfig& config, const SparseProgressFn& progress,
                               const FitnessFn& measure, const LatencyPredictor* latency) {
  SparseSpace out;
  out.space = space.spec();
  out.config = resolved_config(config, space, latency);
  latency = required_latency(out.config, latency, "build_sparse_space");
  // Empty: MACs (run_evolution's fast path).
  const EfficiencyFn efficiency = latency ? latency->efficiency() : EfficiencyFn{};
  const bool rerank = out.config.rerank_pool > 0;
  SNAS_CHECK(!rerank || static_cast<bool>(measure),
             "build_sparse_space: rerank_pool > 0 needs a measurement to re-rank by");
  const int64_t searches = rerank ? out.config.rerank_pool : out.config.top_k;
  const MacsRange range{out.config.min_macs, out.config.max_macs, out.config.interval};
  const int64_t n = range.num_intervals();
  for (int64_t i = 0; i < n; ++i) {
    SparseInterval interval;
    interval.index = i;
    interval.min_macs = range.min_macs + i * range.interval;
    interval.max_macs = std::min(range.max_macs, interval.min_macs + range.interval);
    // Algorithm 1: one search per network, each with its own seed; a network that an earlier
    // search of the interval already contributed is skipped for that search's next best.
    std::set<space::Arch> taken;
    bool feasible = false;
    double best_predicted = 0.0;
    for (int64_t k = 0; k < searches; ++k) {
      EvolutionConfig evolution = out.config.evolution;
      evolution.seed = network_seed(out.config.evolution.seed, i, k);
      const EvolutionResult result =
          run_evolution(space, fitness, Constraint{interval.min_macs, interval.max_macs}, evolution, efficiency);
      interval.num_evaluations += result.num_evaluations;
      // The searches of one interval differ only in their seed: when the first finds no network
      // of the space in the interval, neither would the others.
      if (!result.feasible) break;
      best_predicted = feasible ? std::max(best_predicted, result.best->fitness) : result.best->fitness;
      feasible = true;
      for (const Candidate& c : result.archive) {
        if (!taken.insert(c.arch).second) continue;
        SparseArch entry{c.arch, c.efficiency, space.params(c.arch), c.fitness};
        if (latency) {
          entry.macs = space.macs(c.arch);
          entry.latency_us = c.efficiency;
        }
        interval.archs.push_back(std::move(entry));
        break;
      }
    }
    out.num_evaluations += interval.num_evaluations;
    // Best first; equal predictions keep the order of their searches (random, by seed).
    std::stable_sort(interval.archs.begin(), interval.archs.end(),
                     [](const SparseArch& a, const SparseArch& b) { return a.predicted > b.predicted; });
    if (rerank && !interval.archs.empty()) {
      std::vector<space::Arch> candidates;
      for (const SparseArch& a : interval.archs) candidates.push_back(a.arch);
      const std::vector<double> measured = measure(candidates);
      SNAS_CHECK(measured.size() == candidates.size(), "build_sparse_space: the measurement returned ",
                 measured.size(), " values for ", candidates.size(), " networks");
      for (size_t a = 0; a < measured.size(); ++a) {
        SNAS_CHECK(std::isfinite(measured[a]), "build_sparse_space: the measurement of ",
                   candidates[a].to_string(), " is not finite: ", measured[a]);
        interval.archs[a].measured = measured[a];
      }
      std::stable_sort(interval.archs.begin(), interval.archs.end(),
                       [](const SparseArch& a, const SparseArch& b) { return a.measured > b.measured; });
      if (static_cast<int64_t>(interval.archs.size()) > out.config.top_k) interval.archs.resize(out.config.top_k);
    }
    const auto keep = static_cast<int64_t>(interval.archs.size());
    IntervalProgress report;
    report.index = i;
    report.num_intervals = n;
    report.min_macs = interval.min_macs;
    report.max_macs = interval.max_macs;
    report.feasible = feasible;
    report.num_archs = keep;
    report.best_predicted = best_predicted;
    report.num_evaluations = interval.num_evaluations;
    if (feasible) {
      out.intervals.push_back(std::move(interval));
    } else {
      out.unreachable.push_back(std::move(interval));
    }
    if (progress) progress(report);
  }
  return out;
}

SparseSpace sparse_space_from_list(const space::SearchSpace& space, const std::vector<space::Arch>& archs,
                                   const SparseSpaceConfig& config, const LatencyPredictor* latency) {
  SNAS_CHECK(!archs.empty(), "sparse_space_from_list: no networks given");
  SparseSpace out;
  out.space = space.spec();
  out.config = resolved_config(config, space, latency);
  latency = required_latency(out.config, latency, "sparse_space_from_list");
  std::vector<SparseArch> entries;
  entries.reserve(archs.size());
  std::set<space::Arch> seen;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const space::Arch& a : archs) {
    SparseArch e{space.canonical(a), 0, 0, 0.0};
    SNAS_CHECK(seen.insert(e.arch).second, "sparse_space_from_list: network ", e.arch.to_string(),
               " is listed twice");
    e.macs = space.macs(e.arch);
    e.params = space.params(e.arch);
    if (latency) e.latency_us = latency->micros(e.arch);
    const int64_t value = latency ? e.latency_us : e.macs;
    lo = std::min(lo, value);
    hi = std::max(hi, value);
    entries.push_back(std::move(e));
  }
  SparseSpaceConfig& c = out.config;
  const int64_t below = lo < c.min_macs ? (c.min_macs - lo + c.interval - 1) / c.interval : 0;
  c.min_macs -= below * c.interval;
  // The last interval may be cut at max_macs; extend to the grid first, then by whole intervals.
  const MacsRange grid{c.min_macs, c.max_macs, c.interval};
  c.max_macs = std::max(c.max_macs, c.min_macs + grid.num_intervals() * c.interval);
  if (hi >= c.max_macs) c.max_macs += ((hi - c.max_macs) / c.interval + 1) * c.interval;
  const MacsRange range{c.min_macs, c.max_macs, c.interval};
  std::vector<SparseInterval> intervals(static_cast<size_t>(range.num_intervals()));
  for (size_t i = 0; i < intervals.size(); ++i) {
    intervals[i].index = static_cast<int64_t>(i);
    intervals[i].min_macs = range.min_macs + static_cast<int64_t>(i) * range.interval;
    intervals[i].max_macs = std::min(range.max_macs, intervals[i].min_macs + range.interval);
  }
  for (SparseArch& e : entries) {
    const int64_t value = latency ? e.latency_us : e.macs;
    intervals[static_cast<size_t>((value - range.min_macs) / range.interval)].archs.push_back(std::move(e));
  }
  for (SparseInterval& interval : intervals) {
    (interval.archs.empty() ? out.unreachable : out.intervals).push_back(std::move(interval));
  }
  return out;
}

}  // namespace sparsenas::search
