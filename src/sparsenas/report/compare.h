#pragma once
// `sparsenas compare RUN_DIR...`: finished runs of different methods side by side (issue 4): the
// families' accuracy vs MACs on one plot, mean and best accuracy per MACs interval with the
// differences to the reference run, training cost per stage (paper Table 4), search cost per
// query (Table 6), and how well a run's predictor ranked the networks it chose.

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
/// Throws sparsenas::Error naming the directory and file when a run is missing a required file or
/// a file cannot be parsed, and when fewer than one run is given. Nothing is written then.
CompareResult write_comparison(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out_dir,
                               const CompareOptions& options = {});

}  // namespace sparsenas::report
