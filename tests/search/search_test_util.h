#pragma once
// Test helpers for the search library: a small enumerable space and a synthetic fitness.

#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/search/evolution.h"
#include "sparsenas/space/search_space.h"
#include "support/fashion_space.h"

namespace sparsenas::space {
/// gtest prints architectures as their JSON.
inline void PrintTo(const Arch& arch, std::ostream* out) { *out << arch.to_string(); }
}  // namespace sparsenas::space

namespace sparsenas::search::test {

/// Three OFA-MBv3 stages with depths {1, 2}, kernels {3, 5}, expands {3, 4, 6}:
/// (6 + 36)^3 = 74,088 networks, small enough to enumerate.
inline space::SearchSpace tiny_space() {
  space::SpaceSpec spec = space::builtin_spec("ofa-mbv3");
  spec.name = "tiny";
  spec.resolution = 32;
  spec.in_channels = 1;
  spec.num_classes = 10;
  spec.stages.resize(3);
  for (space::StageSpec& stage : spec.stages) {
    stage.depths = {1, 2};
    stage.kernels = {3, 5};
    stage.expands = {3, 4, 6};
  }
  return space::SearchSpace(spec);
}

using sparsenas::test::fashion_space;

/// A deterministic, smooth, non-additive score: per active slot a weighted expand ratio and
/// kernel size (weights drawn from `seed`), a per-stage depth bonus, and a quadratic penalty on
/// the total expand ratio, so that the best network under a MACs bound is a real trade-off.
class SyntheticFitness {
 public:
  SyntheticFitness(const space::SearchSpace& space, uint64_t seed) : space_(&space) {
    Rng rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      weight_e_.push_back(0.5 + unit(rng));
      weight_k_.push_back(unit(rng) - 0.5);
    }
    for (int s = 0; s < space.num_stages(); ++s) depth_bonus_.push_back(unit(rng));
  }

  double operator()(const space::Arch& arch) const {
    double score = 0.0, total_e = 0.0;
    for (int slot = 0; slot < space_->num_slots(); ++slot) {
      if (!space_->is_active(arch, slot)) continue;
      score +=
          weight_e_[slot] * arch.expand_ratios[slot] + weight_k_[slot] * arch.kernel_sizes[slot];
      total_e += arch.expand_ratios[slot];
    }
    for (int s = 0; s < space_->num_stages(); ++s) score += depth_bonus_[s] * arch.depths[s];
    return score - 0.01 * (total_e - 30.0) * (total_e - 30.0);
  }

  /// The batch form run_evolution takes; counts the architectures it was asked about.
  FitnessFn batch(int64_t* calls = nullptr) const {
    SyntheticFitness copy = *this;
    return [copy, calls](const std::vector<space::Arch>& archs) {
      if (calls) *calls += static_cast<int64_t>(archs.size());
      std::vector<double> out;
      out.reserve(archs.size());
      for (const space::Arch& a : archs) out.push_back(copy(a));
      return out;
    };
  }

 private:
  const space::SearchSpace* space_;
  std::vector<double> weight_e_, weight_k_, depth_bonus_;
};

}  // namespace sparsenas::search::test
