#include "sparsenas/search/evolution.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/search/genome.h"

namespace sparsenas::search {

using space::Arch;

namespace {

using json = nlohmann::json;

using detail::Genome;
using detail::pick;
using detail::Skipper;

// The order of the result lists: fitness descending, equal fitness by the architectures' random
// tie keys (never by efficiency: a MACs tie-break would fill every interval's top from its lower
// edge), then by architecture (only for equal keys, a 2^-64 event) so the order is total.
struct Ranked {
  const Candidate* candidate;
  uint64_t tie_key;
};

bool better(const Ranked& x, const Ranked& y) {
  if (x.candidate->fitness != y.candidate->fitness) return x.candidate->fitness > y.candidate->fitness;
  if (x.tie_key != y.tie_key) return x.tie_key < y.tie_key;
  return x.candidate->arch < y.candidate->arch;
}

// State of one run: the fitness cache (archive) and the efficiency function.
class Search {
 public:
  Search(const space::SearchSpace& space, const FitnessFn& fitness, const Constraint& constraint,
         const EvolutionConfig& config, const EfficiencyFn& efficiency)
      : space_(space),
        genome_(space),
        fitness_(fitness),
        constraint_(constraint),
        config_(config),
        efficiency_(efficiency),
        skipper_(config.mutate_prob),
        rng_(config.seed) {}

  EvolutionResult run();

 private:
  int64_t efficiency_of(const Arch& arch) {
    ++result_.num_efficiency_calls;
    if (efficiency_) return efficiency_(arch);
    return genome_.has_macs_table() ? genome_.macs(arch) : space_.macs_unchecked(arch);
  }

  // Whether archive entry x ranks before archive entry y (see `better`).
  bool ranks_before(int64_t x, int64_t y) const {
    return better(Ranked{&archive_[x], tie_keys_[x]}, Ranked{&archive_[y], tie_keys_[y]});
  }

  // Index of `arch` in the archive, or -1.
  int64_t find(const Arch& arch) const {
    const auto it = index_.find(arch);
    return it == index_.end() ? -1 : it->second;
  }

  // Scores the architectures not yet in the archive with one FitnessFn call; returns the archive
  // index of each input.
  std::vector<int64_t> evaluate(const std::vector<std::pair<Arch, int64_t>>& batch);

  std::optional<std::pair<Arch, int64_t>> walk_into_interval(Arch start);
  std::vector<int64_t> initial_population();
  std::optional<std::pair<Arch, int64_t>> offspring(const std::vector<int64_t>& parents,
                                                    bool mutant);
  std::vector<int64_t> select_parents(const std::vector<int64_t>& population) const;

  const space::SearchSpace& space_;
  Genome genome_;
  const FitnessFn& fitness_;
  Constraint constraint_;
  const EvolutionConfig& config_;
  const EfficiencyFn& efficiency_;
  Skipper skipper_;
  Rng rng_;
  std::vector<Candidate> archive_;  // insertion order; index_ points into it
  std::vector<uint64_t> tie_keys_;  // per archive entry: mix_seed(seed, hash of the arch)
  std::unordered_map<Arch, int64_t, space::ArchHash> index_;
  Arch buffer_, child_, neighbour_;
  EvolutionResult result_;
};

std::vector<int64_t> Search::evaluate(const std::vector<std::pair<Arch, int64_t>>& batch) {
  std::vector<Arch> fresh;
  std::vector<int64_t> fresh_efficiency;
  std::vector<int64_t> out(batch.size(), -1);
  std::unordered_map<Arch, int64_t, space::ArchHash> pending;  // new arch -> position in `fresh`
  std::vector<int64_t> fresh_slot(batch.size(), -1);
  for (size_t i = 0; i < batch.size(); ++i) {
    const int64_t known = find(batch[i].first);
    if (known >= 0) {
      out[i] = known;
      continue;
    }
    const auto [it, inserted] = pending.emplace(batch[i].first, static_cast<int64_t>(fresh.size()));
    if (inserted) {
      fresh.push_back(batch[i].first);
      fresh_efficiency.push_back(batch[i].second);
    }
    fresh_slot[i] = it->second;
  }
  if (!fresh.empty()) {
    const std::vector<double> scores = fitness_(fresh);
    SNAS_CHECK(scores.size() == fresh.size(),
               "the fitness function must return one value per "
               "architecture: asked for ",
               fresh.size(), ", got ", scores.size());
    const int64_t base = static_cast<int64_t>(archive_.size());
    for (size_t j = 0; j < fresh.size(); ++j) {
      SNAS_CHECK(std::isfinite(scores[j]), "the fitness function must return finite values, got ",
                 scores[j], " for ", fresh[j].to_string());
      index_.emplace(fresh[j], base + static_cast<int64_t>(j));
      tie_keys_.push_back(mix_seed(config_.seed, 0x7469'6562'7265'616bULL /* "tiebreak" */,
                                   space::ArchHash{}(fresh[j])));
      archive_.push_back(Candidate{std::move(fresh[j]), scores[j], fresh_efficiency[j]});
    }
    result_.num_evaluations += static_cast<int64_t>(fresh.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (out[i] < 0) out[i] = base + fresh_slot[i];
    }
  }
  return out;
}

// Greedy descent on the distance to the interval, one gene at a time; ties broken at random.
// Each step strictly reduces the distance, so the walk ends; nullopt when it gets stuck outside.
std::optional<std::pair<Arch, int64_t>> Search::walk_into_interval(Arch current) {
  int64_t current_eff = efficiency_of(current);
  int64_t current_dist = constraint_.distance(current_eff);
  std::vector<std::pair<Arch, int64_t>> best_moves;
  while (current_dist > 0) {
    int64_t best_dist = current_dist;
    best_moves.clear();
    genome_.for_each_neighbour(current, neighbour_, [&](const Arch& candidate) {
      const int64_t eff = efficiency_of(candidate);
      const int64_t dist = constraint_.distance(eff);
      if (dist > best_dist) return;
      if (dist < best_dist) {
        best_dist = dist;
        best_moves.clear();
      }
      if (dist < current_dist) best_moves.emplace_back(candidate, eff);
    });
    if (best_moves.empty()) return std::nullopt;
    auto& move = best_moves[uniform_index(rng_, best_moves.size())];
    current = std::move(move.first);
    current_eff = move.second;
    current_dist = best_dist;
  }
  return std::make_pair(std::move(current), current_eff);
}

std::vector<int64_t> Search::initial_population() {
  const int64_t target = config_.population_size;
  std::vector<std::pair<Arch, int64_t>> members;
  std::unordered_set<Arch, space::ArchHash> seen;
  for (int64_t i = 0; i < config_.init_max_samples && static_cast<int64_t>(members.size()) < target;
       ++i) {
    Arch arch = space_.sample(rng_);
    const int64_t eff = efficiency_of(arch);
    if (!constraint_.contains(eff)) continue;
    if (seen.insert(arch).second) members.emplace_back(std::move(arch), eff);
  }
  // Fallback for intervals that uniform sampling rarely hits: walk fresh samples into the
  // interval. A member that max_tries walks cannot supply (stuck, or only duplicates) ends it.
  while (static_cast<int64_t>(members.size()) < target) {
    bool found = false;
    for (int64_t t = 0; t < config_.max_tries && !found; ++t) {
      auto hit = walk_into_interval(space_.sample(rng_));
      if (hit && seen.insert(hit->first).second) {
        members.push_back(std::move(*hit));
        ++result_.num_fallback_members;
        found = true;
      }
    }
    if (!found) break;
  }
  return evaluate(members);
}

std::vector<int64_t> Search::select_parents(const std::vector<int64_t>& population) const {
  std::vector<int64_t> sorted = population;
  std::sort(sorted.begin(), sorted.end(), [&](int64_t x, int64_t y) { return ranks_before(x, y); });
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (static_cast<int64_t>(sorted.size()) > config_.num_parents()) {
    sorted.resize(config_.num_parents());
  }
  return sorted;
}

std::optional<std::pair<Arch, int64_t>> Search::offspring(const std::vector<int64_t>& parents,
                                                          bool mutant) {
  for (int64_t pick_i = 0; pick_i < config_.max_parent_picks; ++pick_i) {
    const Candidate& parent = archive_[pick(parents, rng_)];
    const Arch& a = parent.arch;
    const Arch* b = nullptr;
    if (!mutant) {
      b = &archive_[pick(parents, rng_)].arch;
      if (b == &a) continue;  // crossover of a parent with itself can only copy it
    }
    // Default MACs come from the operators themselves: a mutant's are its parent's updated gene
    // by gene, a crossover child's are summed while its genes are chosen.
    const bool incremental = !efficiency_ && genome_.has_macs_table();
    for (int64_t t = 0; t < config_.max_tries; ++t) {
      int64_t eff = parent.efficiency;
      if (mutant) {
        buffer_ = a;
        genome_.mutate(buffer_, skipper_, rng_, incremental ? &eff : nullptr);
      } else {
        genome_.crossover(a, *b, rng_, buffer_, incremental ? &eff : nullptr);
      }
      bool accepted = false;
      if (incremental) {
        ++result_.num_efficiency_calls;
        // MACs ignore inactive slots: test the constraint first, it rejects most tries.
        if (constraint_.contains(eff)) {
          child_ = buffer_;
          genome_.canonicalize(child_);
          // A copy of a parent adds nothing (its fitness is cached): a failed try.
          accepted = child_ != a && (!b || child_ != *b);
        }
      } else {
        child_ = buffer_;
        genome_.canonicalize(child_);
        if (child_ != a && (!b || child_ != *b)) {
          // A custom efficiency may be costly (a latency model): reuse the archive's value.
          const int64_t known = efficiency_ ? find(child_) : -1;
          eff = known >= 0 ? archive_[known].efficiency : efficiency_of(child_);
          accepted = constraint_.contains(eff);
        }
      }
      if (accepted) return std::make_pair(child_, eff);
    }
  }
  ++result_.num_dropped_children;
  return std::nullopt;
}

EvolutionResult Search::run() {
  if (!efficiency_) {
    // MACs grow with every depth, kernel and expand choice, so the smallest and largest networks
    // bound the range: an interval outside it is unreachable without searching.
    const int64_t lo = space_.macs(space_.min_arch()), hi = space_.macs(space_.max_arch());
    if (constraint_.max_macs <= lo || constraint_.min_macs > hi) return result_;
  }
  std::vector<int64_t> population = initial_population();
  if (population.empty()) return result_;
  result_.feasible = true;
  double best = -std::numeric_limits<double>::infinity();
  for (int64_t i : population) best = std::max(best, archive_[i].fitness);
  result_.best_per_generation.push_back(best);

  const int64_t num_mutants = config_.num_mutants();
  std::vector<std::pair<Arch, int64_t>> children;
  for (int64_t gen = 0; gen < config_.num_generations; ++gen) {
    const std::vector<int64_t> parents = select_parents(population);
    children.clear();
    for (int64_t j = 0; j < config_.population_size; ++j) {
      auto child = offspring(parents, j < num_mutants);
      if (child) children.push_back(std::move(*child));
    }
    population = parents;
    for (int64_t i : evaluate(children)) {
      population.push_back(i);
      best = std::max(best, archive_[i].fitness);
    }
    result_.best_per_generation.push_back(best);
  }

  std::sort(population.begin(), population.end(), [&](int64_t x, int64_t y) { return ranks_before(x, y); });
  population.erase(std::unique(population.begin(), population.end()), population.end());
  for (int64_t i : population) result_.population.push_back(archive_[i]);
  std::vector<int64_t> order(archive_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return ranks_before(x, y); });
  result_.archive.reserve(order.size());
  for (int64_t i : order) result_.archive.push_back(std::move(archive_[i]));
  result_.best = result_.archive.front();
  return std::move(result_);
}

}  // namespace

int64_t Constraint::distance(int64_t value) const {
  if (value < min_macs) return min_macs - value;
  if (value >= max_macs) return value - max_macs + 1;
  return 0;
}

void Constraint::validate() const {
  SNAS_CHECK(min_macs < max_macs,
             "Constraint: min_macs must be < max_macs (the interval is "
             "[min_macs, max_macs)), got min_macs = ",
             min_macs, ", max_macs = ", max_macs);
}

void EvolutionConfig::validate() const { config_fields::validate_fields(*this, kName); }

// Python's round() as OFA uses it: halves go to the even neighbour (round(0.25 * 50) = 12).
int64_t EvolutionConfig::num_parents() const {
  return std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(parent_ratio * population_size)));
}

int64_t EvolutionConfig::num_mutants() const {
  return static_cast<int64_t>(std::nearbyint(mutation_ratio * population_size));
}

void to_json(json& j, const EvolutionConfig& c) { j = config_fields::to_json(c); }

void from_json(const json& j, EvolutionConfig& c) {
  config_fields::read(j, c, EvolutionConfig::kName);
}

EvolutionResult run_evolution(const space::SearchSpace& space, const FitnessFn& fitness,
                              const Constraint& constraint, const EvolutionConfig& config,
                              const EfficiencyFn& efficiency) {
  SNAS_CHECK(static_cast<bool>(fitness), "run_evolution: the fitness function is empty");
  config.validate();
  constraint.validate();
  return Search(space, fitness, constraint, config, efficiency).run();
}

}  // namespace sparsenas::search
