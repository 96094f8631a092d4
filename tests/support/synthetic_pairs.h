#pragma once
// Architectures with a synthetic "accuracy" (a known function of the architecture plus noise):
// training data for predictor tests without training any network.

#include <cstdint>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::test {

/// Architectures and their synthetic accuracies, index by index.
struct Synthetic {
  std::vector<space::Arch> archs;
  std::vector<double> accuracies;
  /// The first `count` pairs and the rest.
  std::pair<Synthetic, Synthetic> split(size_t count) const {
    Synthetic a, b;
    a.archs.assign(archs.begin(), archs.begin() + count);
    a.accuracies.assign(accuracies.begin(), accuracies.begin() + count);
    b.archs.assign(archs.begin() + count, archs.end());
    b.accuracies.assign(accuracies.begin() + count, accuracies.end());
    return {a, b};
  }
};

/// `count` distinct architectures sampled with seed `seed`, each with accuracy
/// `target(arch) + N(0, noise_sd)` (noise drawn from the same generator, after the sample).
inline Synthetic make_synthetic(const space::SearchSpace& space, int count, uint64_t seed, double noise_sd,
                                const std::function<double(const space::Arch&)>& target) {
  Rng rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  Synthetic s;
  s.archs = space.sample_distinct(count, rng);
  for (const space::Arch& arch : s.archs) s.accuracies.push_back(target(arch) + noise(rng));
  return s;
}

}  // namespace sparsenas::test
