#pragma once
// `sparsenas compare RUN_DIR...`: finished runs of different methods side by side (issue 4): the
// families' accuracy vs MACs on one plot, mean and best accuracy per MACs interval with the
// differences to the reference run, training cost per stage (paper Table 4), search cost per
// query (Table 6), and how well a run's predictor ranked the networks it chose; with statistics
// (issue 12): 95% intervals on every difference to the reference (paired bootstrap over test
// images), each family's slope of accuracy against log MACs, the share of sparsenas networks above
// CompOFA's curve, and the runs of one method (seeds) pooled.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::report {

/// Settings of `write_comparison`.
struct CompareOptions {
  bool plots = true;                ///< render the plot with gnuplot
  std::string gnuplot = "gnuplot";  ///< the gnuplot program
  /// Lookup timing (Table 6): rounds per run, median reported; queries per round. At least 1.
  int lookup_rounds = 51;
  int lookup_queries_per_round = 100;
  /// Bootstrap replicates of every 95% interval (0 = no intervals) and their seed.
  int64_t bootstrap_resamples = 1000;
  uint64_t bootstrap_seed = 0;

  /// Throws sparsenas::Error naming the field, the expected range and the value.
  void validate() const;
};

/// What `write_comparison` wrote.
struct CompareResult {
  std::filesystem::path markdown;            ///< `<out_dir>/compare.md`
  std::filesystem::path json;                ///< `<out_dir>/compare.json` (the same numbers)
  std::vector<std::filesystem::path> plots;  ///< `<out_dir>/accuracy_vs_macs.png` when rendered
  std::vector<std::string> warnings;
};

/// Reads each run directory (`config.json`, `manifest.json`, `family.csv` required;
/// `sparse_space.json` optional) and writes `compare.md`, `compare.json` and the plot into
/// `out_dir` (created). The reference is the first run of method "sparsenas", else the first run.
///
/// Accuracies are test top-1 where the family has it, else validation top-1. MACs intervals are
/// the reference's sparse-space grid (`sparse_space.json` config), widened by whole intervals to
/// cover every family; without one, 10 equal intervals over all families. "At equal MACs" means:
/// over the intervals where both runs have networks.
///
/// Intervals (compare.json: `{"value": v, "ci95": [lo, hi]}`, fractions; `ci95` null when not
/// computed, with `no_ci_reason`): each difference (per interval and averaged over the shared
/// intervals; mean, best and picked) gets a percentile interval from `bootstrap_resamples`
/// resamples of the test images (report/bootstrap.h), one draw shared by every run, so the
/// comparison is paired. It needs every run involved to have `family_correct.json` on the same
/// test images as the reference (equal fingerprints); a run without it (made before it was kept)
/// or with other test images still compares, without intervals, and the report says why.
/// `picked` is chosen by validation accuracy, which is not resampled.
///
/// Seeds: when a method has several runs, a section "per method, seeds pooled" averages each
/// interval's statistics over the method's runs and compares with the reference's method the same
/// way; its interval resamples images only (conditional on the trained supernets) and the
/// seed-to-seed standard deviation of the runs' Δ mean is reported beside it.
///
/// Also: per run the slope of top-1 against log2 MACs (report/curve_stats.h, case bootstrap over
/// networks), and the share of each sparsenas run's networks above each compofa run's curve (the
/// piecewise-linear interpolation over log MACs of its Pareto front), pooled over the pairs.
///
/// Throws sparsenas::Error naming the directory and file when a run is missing a required file or
/// a file cannot be parsed, and when fewer than one run is given. Nothing is written then.
CompareResult write_comparison(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out_dir,
                               const CompareOptions& options = {});

}  // namespace sparsenas::report
