#pragma once
// Latency tables made up for tests: every part of a space gets a seeded random time, so that a
// network's predicted latency does not follow its MACs (a latency grid then differs from a MACs
// grid) and the tests need no measurement.

#include <cstdint>
#include <random>
#include <string>

#include "sparsenas/core/random.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::test {

/// A table for `space` with its header filled (space, hash, shape, a test machine) and no entries.
inline search::LatencyTable empty_latency_table(const space::SearchSpace& space) {
  search::LatencyTable t;
  t.space = space.name();
  t.space_hash = search::space_hash(space);
  t.resolution = space.spec().resolution;
  t.in_channels = space.spec().in_channels;
  t.num_classes = space.spec().num_classes;
  t.width_mult = space.spec().width_mult;
  t.machine = "test";
  t.created_at = "2026-12-05T00:00:00Z";
  t.repeats = 1;
  return t;
}

/// A complete, valid table for `space` (every part of search::block_configs): blocks 0.01..0.2 ms
/// drawn from `seed`, stem 0.05 ms, head 0.03 ms.
inline search::LatencyTable random_latency_table(const space::SearchSpace& space, uint64_t seed = 1) {
  search::LatencyTable t = empty_latency_table(space);
  Rng rng(seed);
  std::uniform_real_distribution<double> ms(0.01, 0.2);
  for (const search::BlockConfig& c : search::block_configs(space)) {
    t.entries[c.key] = c.kind == "stem" ? 0.05 : c.kind == "head" ? 0.03 : ms(rng);
  }
  return t;
}

}  // namespace sparsenas::test
