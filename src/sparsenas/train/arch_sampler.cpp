#include "sparsenas/train/arch_sampler.h"

#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"

namespace sparsenas::train {
namespace {

Rng step_rng(uint64_t seed, int64_t epoch, int64_t step, int j) {
  SNAS_CHECK(epoch >= 0 && step >= 0 && j >= 0,
             "ArchSampler::sample: epoch, step and j must be >= 0, got ", epoch, ", ", step, ", ",
             j);
  return Rng(mix_seed(seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(step),
                      static_cast<uint64_t>(j)));
}

}  // namespace

UniformSampler::UniformSampler(space::SearchSpace space) : space_(std::move(space)) {}

space::Arch UniformSampler::sample(uint64_t seed, int64_t epoch, int64_t step, int j) const {
  Rng rng = step_rng(seed, epoch, step, j);
  return space_.sample(rng);
}

std::string UniformSampler::describe() const { return "uniform over " + space_.name(); }

FixedSampler::FixedSampler(space::Arch arch) : arch_(std::move(arch)) {}

space::Arch FixedSampler::sample(uint64_t, int64_t, int64_t, int) const { return arch_; }

std::string FixedSampler::describe() const { return "fixed " + arch_.to_string(); }

ListSampler::ListSampler(std::vector<space::Arch> archs) : archs_(std::move(archs)) {
  SNAS_CHECK(!archs_.empty(), "ListSampler: the architecture list must not be empty");
}

space::Arch ListSampler::sample(uint64_t seed, int64_t epoch, int64_t step, int j) const {
  Rng rng = step_rng(seed, epoch, step, j);
  return archs_[uniform_index(rng, archs_.size())];
}

std::string ListSampler::describe() const {
  return "uniform over a list of " + std::to_string(archs_.size()) + " architectures";
}

std::optional<space::Arch> ListSampler::fixed_arch() const {
  for (const space::Arch& arch : archs_) {
    if (arch != archs_.front()) return std::nullopt;
  }
  return archs_.front();
}

}  // namespace sparsenas::train
