#pragma once
// The genome of an architecture for evolutionary search: OFA's mutation and uniform crossover
// (CompOFA's compound-aware variants on coupled stages), the one-gene neighbourhood, and MACs
// tables updated gene by gene. Internal to search/: the hot operators are defined here, inline,
// because the search loop of evolution.cpp calls them per gene.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::search::detail {

using space::Arch;

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
  explicit Skipper(double p);

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
  explicit Genome(const space::SearchSpace& space);

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
  // Fills blocks_ and fixed_macs_, and checks them against SearchSpace::macs.
  void build_macs_table(const space::SearchSpace& space);

  static constexpr uint64_t kCheckSeed = 0x5eed;
  std::vector<StageGenes> stages_;
  int kernel_extent_ = 0, expand_extent_ = 0;
  std::vector<int64_t> blocks_;  // [slot][kernel][expand]
  int64_t fixed_macs_ = 0;
};

/// The genetic operators on their own, for tests: Genome's mutation and crossover on canonical
/// members of `space`, returning canonical members.
space::Arch mutate(const space::SearchSpace& space, const space::Arch& parent, double mutate_prob,
                   Rng& rng);
space::Arch crossover(const space::SearchSpace& space, const space::Arch& a, const space::Arch& b,
                      Rng& rng);

}  // namespace sparsenas::search::detail
