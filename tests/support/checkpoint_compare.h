#pragma once
// Two checkpoints of a run's space compared parameter by parameter (the distributed tests: W ranks
// against one process, against the rounding of another thread count).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "sparsenas/nn/supernet.h"
#include "sparsenas/space/space_spec.h"
#include "sparsenas/train/checkpoint.h"

namespace sparsenas::test {

/// Largest |a - b| over the parameters (not the buffers) of two checkpoints of the same space.
inline double parameter_difference(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto load = [](const std::filesystem::path& path) {
    const auto meta = train::read_checkpoint_meta(path);
    const space::SearchSpace space(space::space_spec_from_json(meta.space));
    nn::Supernet net(space);
    train::load_checkpoint(path, *net, nullptr, /*restore_rng=*/false);
    return net;
  };
  const auto x = load(a), y = load(b);
  const auto px = x->parameters(), py = y->parameters();
  EXPECT_EQ(px.size(), py.size());
  double worst = 0;
  for (size_t i = 0; i < px.size() && i < py.size(); ++i) {
    worst = std::max(worst, (px[i] - py[i]).abs().max().item<double>());
  }
  return worst;
}

}  // namespace sparsenas::test
