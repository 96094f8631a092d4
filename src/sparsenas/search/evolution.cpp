#include "sparsenas/search/evolution.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/core/json_fields.h"

namespace sparsenas::search {

using space::Arch;

namespace {

using json = nlohmann::json;

constexpr const char* kConfigName = "EvolutionConfig";

// Per-stage choice lists, copied out of the spec once so that the operators run on plain vectors.
struct StageGenes {
  int offset = 0;     // first block slot of the stage
  int max_depth = 0;  // stored slots
  std::vector<int> depths, kernels, expands;
  std::vector<int> coupled;            // parallel to depths; empty when the stage is not coupled
  int min_kernel = 0, min_expand = 0;  // what SearchSpace::canonical puts in inactive slots

  bool is_coupled() const { return !coupled.empty(); }
  int coupled_expand(int depth) const {
    const auto it = std::find(depths.begin(), depths.end(), depth);
    return coupled[static_cast<size_t>(it - depths.begin())];
  }
};

// Uniform index in [0, n): Lemire's multiply-shift with rejection, the method libstdc++'s
// uniform_int_distribution uses for this engine, inlined (same draws, no call per gene).
inline uint64_t fast_index(Rng& rng, uint64_t n) {
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * n;
  if (static_cast<uint64_t>(m) < n) {
    const uint64_t threshold = (0 - n) % n;
    while (static_cast<uint64_t>(m) < threshold) m = static_cast<unsigned __int128>(rng()) * n;
  }
  return static_cast<uint64_t>(m >> 64);
}

template <typename T>
const T& pick(const std::vector<T>& values, Rng& rng) {
  return values[fast_index(rng, values.size())];
}

// Fair coins from the bits of engine draws. need(n) makes sure n coins are buffered, so that the
// flips themselves are a shift each (crossover flips up to 1 + 2 * max depth per stage).
class Coins {
 public:
  void need(int n, Rng& rng) {
    if (left_ < n) {
      bits_ = rng();
      left_ = 64;
    }
  }
  bool flip() {
    --left_;
    const bool out = bits_ & 1;
    bits_ >>= 1;
    return out;
  }

 private:
  uint64_t bits_ = 0;
  int left_ = 0;
};

// Independent Bernoulli(p) trials over a sequence of genes, drawn as geometric gaps between
// successes: the same distribution as one draw per gene (OFA), with one engine draw per mutated
// gene. P(gap >= n) = (1 - p)^n; the gap is read from a table of those tails.
class Skipper {
 public:
  explicit Skipper(double p) : p_(p) {
    if (p <= 0.0 || p >= 1.0) return;
    log_q_ = std::log1p(-p);
    for (double tail = 1.0 - p; tail > 0x1.0p-40 && tails_.size() < 4096; tail *= 1.0 - p) {
      tails_.push_back(tail);
    }
  }

  // Failures before the next success; kNever for p = 0.
  int64_t next(Rng& rng) const {
    if (p_ >= 1.0) return 0;
    if (p_ <= 0.0) return kNever;
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
    // gap = number of n >= 1 with u < (1 - p)^n. A linear scan: its branch is predictable (it
    // stops with probability p per step), which makes it faster than a binary search here.
    size_t n = 0;
    while (n < tails_.size() && u < tails_[n]) ++n;
    if (n < tails_.size()) return static_cast<int64_t>(n);
    const double gap = std::floor(std::log(u) / log_q_);  // beyond the table: P < 2^-40
    return gap < static_cast<double>(kNever) ? static_cast<int64_t>(gap) : kNever;
  }
  static constexpr int64_t kNever = int64_t{1} << 40;

 private:
  double p_;
  double log_q_ = 0.0;
  std::vector<double> tails_;
};

// The genetic operators on one space. They write into a caller-owned buffer so that the retry
// loops allocate nothing, and leave inactive slots as they are: call canonicalize() before
// comparing or hashing (MACs ignore inactive slots, so the constraint is checked first).
class Genome {
 public:
  explicit Genome(const space::SearchSpace& space) {
    for (int s = 0; s < space.num_stages(); ++s) {
      const space::StageSpec& spec = space.spec().stages[s];
      StageGenes g;
      g.offset = space.stage_offset(s);
      g.max_depth = space.max_depth(s);
      g.depths = spec.depths;
      g.kernels = spec.kernels;
      g.expands = spec.expands;
      g.coupled = spec.coupled_expands;
      g.min_kernel = *std::min_element(spec.kernels.begin(), spec.kernels.end());
      const std::vector<int>& e = g.is_coupled() ? g.coupled : g.expands;
      g.min_expand = *std::min_element(e.begin(), e.end());
      stages_.push_back(std::move(g));
    }
    build_macs_table(space);
  }

  // MACs from a table of SearchSpace::block_macs indexed by kernel and expand values: the same
  // numbers as SearchSpace::macs_unchecked (checked below), in a tighter loop, and updated
  // incrementally by mutate(). Absent (has_macs_table() false) for unusually large choices.
  bool has_macs_table() const { return !blocks_.empty(); }
  int64_t block(int slot, int kernel, int expand) const {
    return blocks_[(static_cast<size_t>(slot) * kernel_extent_ + kernel) * expand_extent_ + expand];
  }
  int64_t stage_macs(const Arch& a, int stage) const {
    const StageGenes& g = stages_[stage];
    int64_t total = 0;
    for (int i = 0; i < a.depths[stage]; ++i) {
      total += block(g.offset + i, a.kernel_sizes[g.offset + i], a.expand_ratios[g.offset + i]);
    }
    return total;
  }
  int64_t macs(const Arch& a) const {
    int64_t total = fixed_macs_;
    for (int s = 0; s < static_cast<int>(stages_.size()); ++s) total += stage_macs(a, s);
    return total;
  }

  void build_macs_table(const space::SearchSpace& space) {
    constexpr int kMaxExtent = 256;
    for (const StageGenes& g : stages_) {
      for (int k : g.kernels) kernel_extent_ = std::max(kernel_extent_, k + 1);
      for (const std::vector<int>* list : {&g.expands, &g.coupled}) {
        for (int e : *list) expand_extent_ = std::max(expand_extent_, e + 1);
      }
    }
    if (kernel_extent_ > kMaxExtent || expand_extent_ > kMaxExtent) return;
    blocks_.assign(static_cast<size_t>(space.num_slots()) * kernel_extent_ * expand_extent_, 0);
    for (const StageGenes& g : stages_) {
      for (int i = 0; i < g.max_depth; ++i) {
        for (int k : g.kernels) {
          for (const std::vector<int>* list : {&g.expands, &g.coupled}) {
            for (int e : *list) {
              blocks_[(static_cast<size_t>(g.offset + i) * kernel_extent_ + k) * expand_extent_ +
                      e] = space.block_macs(g.offset + i, k, e);
            }
          }
        }
      }
    }
    const Arch smallest = space.min_arch();
    fixed_macs_ = 0;  // so that macs() below sums the blocks only
    fixed_macs_ = space.macs(smallest) - macs(smallest);
    Rng check(kCheckSeed);
    for (int i = 0; i < 16; ++i) {
      const Arch a = space.sample(check);
      SNAS_INTERNAL_ASSERT(macs(a) == space.macs(a), "MACs table of space ", space.name(),
                           " disagrees with SearchSpace::macs for ", a.to_string(), ": ", macs(a),
                           " vs ", space.macs(a));
    }
  }

  void canonicalize_stage(Arch& a, const StageGenes& g, int stage) const {
    for (int i = a.depths[stage]; i < g.max_depth; ++i) {
      a.kernel_sizes[g.offset + i] = g.min_kernel;
      a.expand_ratios[g.offset + i] = g.min_expand;
    }
  }

  void canonicalize(Arch& a) const {
    for (int s = 0; s < static_cast<int>(stages_.size()); ++s) canonicalize_stage(a, stages_[s], s);
  }

  // Gives slots [from, to) of a stage fresh values: uniform kernel and expand (coupled: the
  // expand ratio of the stage's depth).
  void fill_new_slots(Arch& a, const StageGenes& g, int stage, int from, int to, Rng& rng) const {
    for (int i = from; i < to; ++i) {
      const int slot = g.offset + i;
      a.kernel_sizes[slot] = pick(g.kernels, rng);
      a.expand_ratios[slot] =
          g.is_coupled() ? g.coupled_expand(a.depths[stage]) : pick(g.expands, rng);
    }
  }

  // OFA mutate_arch, in place: each active block slot with probability p (kernel and expand
  // together), then each stage's depth with probability p. Genes are numbered in that order: the
  // active slots stage by stage, then the stages. When `macs` is given it holds the MACs before
  // and is updated to those after (needs the MACs table).
  void mutate(Arch& arch, const Skipper& skipper, Rng& rng, int64_t* macs) const {
    int64_t num_active = 0;
    for (int d : arch.depths) num_active += d;
    int64_t gene = skipper.next(rng);
    int stage = 0;
    int64_t before = 0;  // active slots in the stages before `stage`
    for (; gene < num_active; gene += 1 + skipper.next(rng)) {
      while (gene >= before + arch.depths[stage]) before += arch.depths[stage++];
      const StageGenes& g = stages_[stage];
      const int slot = g.offset + static_cast<int>(gene - before);
      const int old_kernel = arch.kernel_sizes[slot], old_expand = arch.expand_ratios[slot];
      arch.kernel_sizes[slot] = pick(g.kernels, rng);
      if (!g.is_coupled()) arch.expand_ratios[slot] = pick(g.expands, rng);
      if (macs) {
        *macs += block(slot, arch.kernel_sizes[slot], arch.expand_ratios[slot]) -
                 block(slot, old_kernel, old_expand);
      }
    }
    for (int64_t s = gene - num_active; s < static_cast<int64_t>(stages_.size());
         s += 1 + skipper.next(rng)) {
      mutate_depth(arch, static_cast<int>(s), rng, macs);
    }
  }

  void mutate_depth(Arch& arch, int s, Rng& rng, int64_t* macs) const {
    const StageGenes& g = stages_[s];
    if (macs) *macs -= stage_macs(arch, s);
    const int old_depth = arch.depths[s];
    arch.depths[s] = pick(g.depths, rng);
    if (g.is_coupled()) {
      // CompOFA: a new depth brings its coupled expand ratio to every block of the stage.
      const int e = g.coupled_expand(arch.depths[s]);
      for (int i = 0; i < arch.depths[s]; ++i) arch.expand_ratios[g.offset + i] = e;
    }
    if (arch.depths[s] > old_depth) fill_new_slots(arch, g, s, old_depth, arch.depths[s], rng);
    if (macs) *macs += stage_macs(arch, s);
  }

  // OFA uniform crossover (each gene from either parent); CompOFA's per-stage choice of depth and
  // expand ratios on coupled stages.
  // Only the active slots of `out` are written (inactive ones keep stale values until
  // canonicalize()). When `macs` is given (needs the MACs table) it receives the child's MACs.
  void crossover(const Arch& a, const Arch& b, Rng& rng, Arch& out, int64_t* macs = nullptr) const {
    out.depths.resize(a.depths.size());
    out.kernel_sizes.resize(a.kernel_sizes.size());
    out.expand_ratios.resize(a.expand_ratios.size());
    Coins coins;
    auto coin = [&coins] { return coins.flip(); };
    int64_t total = fixed_macs_;
    for (int s = 0; s < static_cast<int>(stages_.size()); ++s) {
      const StageGenes& g = stages_[s];
      coins.need(1 + 2 * g.max_depth, rng);
      const Arch& stage_parent = coin() ? b : a;
      out.depths[s] = stage_parent.depths[s];
      for (int i = 0; i < out.depths[s]; ++i) {
        const int slot = g.offset + i;
        const bool in_a = i < a.depths[s], in_b = i < b.depths[s];
        const Arch& k_from = in_a && in_b ? (coin() ? b : a) : (in_a ? a : b);
        out.kernel_sizes[slot] = k_from.kernel_sizes[slot];
        if (g.is_coupled()) {
          out.expand_ratios[slot] = stage_parent.expand_ratios[slot];
        } else {
          const Arch& e_from = in_a && in_b ? (coin() ? b : a) : (in_a ? a : b);
          out.expand_ratios[slot] = e_from.expand_ratios[slot];
        }
        if (macs) total += block(slot, out.kernel_sizes[slot], out.expand_ratios[slot]);
      }
    }
    if (macs) *macs = total;
  }

  // Calls f(buffer) for every canonical architecture one gene away from `cur`: another depth of a
  // stage (new slots take the smallest choices, coupled stages their coupled expand), another
  // kernel size or expand ratio of an active slot. `buffer` is overwritten.
  template <typename F>
  void for_each_neighbour(const Arch& cur, Arch& buffer, F&& f) const {
    for (int s = 0; s < static_cast<int>(stages_.size()); ++s) {
      const StageGenes& g = stages_[s];
      for (int d : g.depths) {
        if (d == cur.depths[s]) continue;
        buffer = cur;
        buffer.depths[s] = d;
        if (g.is_coupled()) {
          for (int i = 0; i < d; ++i) buffer.expand_ratios[g.offset + i] = g.coupled_expand(d);
        }
        canonicalize_stage(buffer, g, s);
        f(buffer);
      }
      for (int i = 0; i < cur.depths[s]; ++i) {
        const int slot = g.offset + i;
        for (int k : g.kernels) {
          if (k == cur.kernel_sizes[slot]) continue;
          buffer = cur;
          buffer.kernel_sizes[slot] = k;
          f(buffer);
        }
        if (g.is_coupled()) continue;
        for (int e : g.expands) {
          if (e == cur.expand_ratios[slot]) continue;
          buffer = cur;
          buffer.expand_ratios[slot] = e;
          f(buffer);
        }
      }
    }
  }

 private:
  static constexpr uint64_t kCheckSeed = 0x5eed;
  std::vector<StageGenes> stages_;
  int kernel_extent_ = 0, expand_extent_ = 0;
  std::vector<int64_t> blocks_;  // [slot][kernel][expand]
  int64_t fixed_macs_ = 0;
};

bool better(const Candidate& x, const Candidate& y) {
  if (x.fitness != y.fitness) return x.fitness > y.fitness;
  if (x.efficiency != y.efficiency) return x.efficiency < y.efficiency;
  return x.arch < y.arch;
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
  std::sort(sorted.begin(), sorted.end(),
            [&](int64_t x, int64_t y) { return better(archive_[x], archive_[y]); });
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

  std::sort(population.begin(), population.end(),
            [&](int64_t x, int64_t y) { return better(archive_[x], archive_[y]); });
  population.erase(std::unique(population.begin(), population.end()), population.end());
  for (int64_t i : population) result_.population.push_back(archive_[i]);
  result_.archive = std::move(archive_);
  std::sort(result_.archive.begin(), result_.archive.end(), better);
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

namespace detail {

Arch mutate(const space::SearchSpace& space, const Arch& parent, double mutate_prob, Rng& rng) {
  SNAS_CHECK(mutate_prob >= 0 && mutate_prob <= 1, "mutate_prob must be in [0, 1], got ",
             mutate_prob);
  const Genome genome(space);
  Arch out = space.canonical(parent);
  genome.mutate(out, Skipper(mutate_prob), rng, nullptr);
  genome.canonicalize(out);
  return out;
}

Arch crossover(const space::SearchSpace& space, const Arch& a, const Arch& b, Rng& rng) {
  const Genome genome(space);
  Arch out;
  genome.crossover(space.canonical(a), space.canonical(b), rng, out);
  genome.canonicalize(out);
  return out;
}

}  // namespace detail
}  // namespace sparsenas::search
