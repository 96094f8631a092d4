#pragma once
// `sparsenas space-stats`: the paper's Table 1 (§3.2) on a trained supernet of a run: how the
// validation accuracies of randomly sampled sub-networks are distributed, and how many of them
// are "high quality" (better than mean + std).

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sparsenas::pipeline {

/// One row of Table 1: the first `n` networks of the sample.
struct SpaceStatsRow {
  int64_t n = 0;
  double mean = 0, std = 0;   ///< validation top-1 (fractions); std is the population std (÷ n)
  int64_t high = 0;           ///< networks with accuracy > mean + std (the paper's "high quality")
  int64_t high2 = 0;          ///< networks with accuracy > mean + 2 std (the paper's 1% remark)
  double ratio = 0, ratio2 = 0;  ///< high / n, high2 / n
};

/// The whole result, also written as `space_stats.json` and `space_stats.md` in the run directory.
struct SpaceStats {
  std::string supernet;        ///< "proxy" (proxy_supernet.pt, trained on the whole space) or "sparse"
  uint64_t seed = 0;           ///< seed of the sample
  int64_t val_images = 0;      ///< validation images per network
  std::vector<SpaceStatsRow> rows;
  std::vector<double> accuracies;  ///< every sampled network's validation top-1, in sample order
};

nlohmann::json to_json(const SpaceStats& stats);

/// Table 1 rows for the first n of `accuracies` for each n of `sizes` (each 2 <= n <= size).
std::vector<SpaceStatsRow> space_stats_rows(const std::vector<double>& accuracies, const std::vector<int64_t>& sizes);

/// Samples max(sizes) distinct architectures of the run's space (seeded), recalibrates BN and
/// evaluates each on the run's validation split (as stage 3 does, with its pairs settings) using
/// `supernet` ("proxy": proxy_supernet.pt; "sparse": supernet.pt), and writes space_stats.json and
/// space_stats.md into `run_dir` atomically. Nested samples: the row for n uses the first n
/// networks, so the largest size bounds the cost. Throws naming what is missing or invalid.
/// Data-parallel (several ranks): the networks are divided among the ranks (run_loop), every rank
/// returns the whole result and rank 0 alone writes the files.
SpaceStats compute_space_stats(const std::filesystem::path& run_dir, const std::string& supernet,
                               const std::vector<int64_t>& sizes, uint64_t seed);

}  // namespace sparsenas::pipeline
