#pragma once
// Seeding: every random draw in sparsenas comes from an explicit seed, never a hidden global.

#include <cstdint>
#include <random>
#include <string>

namespace sparsenas {

/// Mixes values into one 64-bit seed (SplitMix64 finaliser over each value). Used to seed the
/// architecture sampler from (seed, epoch, step, j) so every data-parallel rank draws the same nets.
uint64_t mix_seed(uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0);

/// The random engine used everywhere outside LibTorch.
using Rng = std::mt19937_64;

/// Uniform integer in [0, n).
inline uint64_t uniform_index(Rng& rng, uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
}

/// Decimal text of an unsigned 128-bit integer (search-space sizes exceed 2^64).
std::string to_string_u128(unsigned __int128 value);

}  // namespace sparsenas
