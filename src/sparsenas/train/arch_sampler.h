#pragma once
// Architecture samplers: which sub-networks a training step trains. Deterministic in
// (seed, epoch, step, j), so a resumed run and every data-parallel rank draw the same networks.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/space/search_space.h"

namespace sparsenas::train {

/// Chooses the sub-network(s) of each training step.
///
/// Contract: `sample` is a pure function of its arguments (implementations seed a local
/// `Rng(mix_seed(seed, epoch, step, j))` and keep no mutable state), and it is thread-safe.
class ArchSampler {
 public:
  virtual ~ArchSampler() = default;

  /// The `j`-th (0-based, j < n_sub) network of step `step` of epoch `epoch`.
  virtual space::Arch sample(uint64_t seed, int64_t epoch, int64_t step, int j) const = 0;

  /// One line for logs and checkpoints, e.g. "uniform over ofa-mbv3".
  virtual std::string describe() const = 0;

  /// The one architecture this sampler always returns, when it always returns the same one
  /// (then BN running statistics already belong to it and validation skips recalibration).
  virtual std::optional<space::Arch> fixed_arch() const { return std::nullopt; }
};

/// Every depth, kernel and expand choice independently uniform (OFA sample_active_subnet,
/// SPOS uniform sampling); CompOFA spaces sample their coupled choices. Canonical architectures.
class UniformSampler : public ArchSampler {
 public:
  /// Keeps a copy of `space`.
  explicit UniformSampler(space::SearchSpace space);
  space::Arch sample(uint64_t seed, int64_t epoch, int64_t step, int j) const override;
  std::string describe() const override;

 private:
  space::SearchSpace space_;
};

/// Always the same architecture (teacher training, fine-tuning one network).
class FixedSampler : public ArchSampler {
 public:
  explicit FixedSampler(space::Arch arch);
  space::Arch sample(uint64_t seed, int64_t epoch, int64_t step, int j) const override;
  std::string describe() const override;
  std::optional<space::Arch> fixed_arch() const override { return arch_; }

 private:
  space::Arch arch_;
};

/// Uniform over an explicit list (a sparse space, a random sub-space). Duplicates in the list
/// raise their probability. A one-element list behaves as a FixedSampler.
class ListSampler : public ArchSampler {
 public:
  /// Throws sparsenas::Error when `archs` is empty.
  explicit ListSampler(std::vector<space::Arch> archs);
  space::Arch sample(uint64_t seed, int64_t epoch, int64_t step, int j) const override;
  std::string describe() const override;
  std::optional<space::Arch> fixed_arch() const override;
  const std::vector<space::Arch>& archs() const { return archs_; }

 private:
  std::vector<space::Arch> archs_;
};

}  // namespace sparsenas::train
