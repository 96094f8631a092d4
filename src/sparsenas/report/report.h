#pragma once
// Stage 8 of `sparsenas run`: `report.md` and PNG plots from the files of a run directory
// (docs/run-directory.md): this run's versions of the paper's Tables 3, 4, 6 and 7, the sparse
// space, training curves, and what was missing.

#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/report/format.h"  // format_percent, format_duration, format_count

namespace sparsenas::report {

/// Settings of `write_report`.
///
/// Example: `ReportOptions options; options.plots = false;` (tables only, no gnuplot run).
struct ReportOptions {
  /// Render the plots with gnuplot. When false no gnuplot is run and report.md embeds no plots.
  bool plots = true;
  /// The gnuplot program: a name looked up in PATH or a path. When it cannot be run, the report
  /// is written without plots and says so in its warnings.
  std::string gnuplot = "gnuplot";
  /// Table 6: the family lookup is timed in this many rounds per MACs bound; the median round is
  /// reported. At least 1.
  int lookup_rounds = 101;
  /// Table 6: queries per timed round (the round's time is divided by it). At least 1.
  int lookup_queries_per_round = 100;

  /// Throws sparsenas::Error naming the field, the expected range and the value.
  void validate() const;
};

/// What `write_report` wrote.
struct ReportResult {
  std::filesystem::path markdown;            ///< `<run_dir>/report.md`
  std::vector<std::filesystem::path> plots;  ///< the PNG files rendered, `<run_dir>/<name>.png`
  /// Everything missing or skipped (an absent input file, gnuplot unavailable or failing), one
  /// line each; report.md lists them too, under "Warnings".
  std::vector<std::string> warnings;
};

/// Reads the run directory `run_dir` and writes `<run_dir>/report.md` atomically, plus the PNG
/// plots `accuracy_vs_macs.png`, `predicted_vs_measured.png` and `training_curves.png` in
/// `run_dir` (each replaced atomically). The gnuplot scripts and their data files are kept in
/// `<run_dir>/plots/` (`gnuplot <name>.gp` there renders `<name>.png` again).
///
/// Inputs, all optional: `config.json`, `manifest.json`, `predictors.csv`,
/// `predictor/heldout.csv`, `pairs.csv`, `sparse_space.json`, `family.csv` and
/// `{teacher,proxy,supernet}/history.json`. A missing file gives a "not available" line in the
/// sections that need it and a warning; a file that exists but cannot be parsed throws
/// sparsenas::Error naming the file (and nothing is written). A failing gnuplot is a warning, not
/// an error. Throws when `run_dir` is not a directory or `options` is invalid.
///
/// Sections of report.md: the run (method, preset, space, dataset, dates, the predictors'
/// architecture encoding), predictors (Table 3), training stages and cost (Table 4), search cost
/// per query (Table 6: family lookup timed here vs. the evolutionary search of one interval),
/// best networks at MACs budgets (Table 7), the sparse space, training curves, warnings.
ReportResult write_report(const std::filesystem::path& run_dir, const ReportOptions& options = {});

}  // namespace sparsenas::report
