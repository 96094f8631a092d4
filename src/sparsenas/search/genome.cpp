#include "sparsenas/search/genome.h"

#include <cmath>

#include "sparsenas/core/error.h"

namespace sparsenas::search::detail {

Skipper::Skipper(double p) : p_(p) {
  if (p <= 0.0 || p >= 1.0) return;
  log_q_ = std::log1p(-p);
  for (double tail = 1.0 - p; tail > 0x1.0p-40 && tails_.size() < 4096; tail *= 1.0 - p) {
    tails_.push_back(tail);
  }
}

Genome::Genome(const space::SearchSpace& space) {
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

void Genome::build_macs_table(const space::SearchSpace& space) {
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

}  // namespace sparsenas::search::detail
