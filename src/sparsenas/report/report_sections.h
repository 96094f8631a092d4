#pragma once
// The sections of report.md (internal to the report library), each written from the run's
// inputs in the order write_report puts them. A section whose inputs are missing says
// "not available" and why.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "sparsenas/report/report.h"
#include "sparsenas/report/report_inputs.h"
#include "sparsenas/report/report_plots.h"

namespace sparsenas::report::detail {

/// "# SparseNAS run report": method, preset, space, dataset, run directory, start and finish
/// times (from the manifest's stages), the time of writing, and the predictors' architecture
/// encoding (with this run's space's slots, choices and feature count when the space is known).
void write_header(std::ostream& md, const std::filesystem::path& run_dir, const Inputs& in);

/// "## Predictors (paper Table 3)": fit time, RMSE (mean-shifted and raw), Kendall τ and
/// Spearman ρ per predictor (the manifest's early predictor marked), the pairs summary, the
/// held-out file, τ and ρ of the early predictor on the sparse space (`matched`, when 2 or more
/// networks), and the predicted-vs-measured plot.
void write_predictors(std::ostream& md, const Inputs& in, const SparseVsFamily& matched,
                      const PlotNotes& notes);

/// "## Training stages and cost (paper Table 4)": passes, images, wall time and core-hours per
/// training stage with totals, the other stages with their metrics, and all stages but the
/// report.
void write_costs(std::ostream& md, const Inputs& in);

/// "## Search cost per query (paper Table 6)": the family lookup at 1/3, 2/3 and all of its MACs
/// range, timed now (`options.lookup_rounds` rounds of `options.lookup_queries_per_round`
/// queries, median), against the evolutionary search of one interval from the manifest.
void write_search_cost(std::ostream& md, const Inputs& in, const ReportOptions& options);

/// "## Best networks at MACs budgets (paper Table 7)": the best network by validation top-1
/// within 5 evenly spaced MACs bounds, the teacher, their architectures, the family summary and
/// the accuracy plot.
void write_best_networks(std::ostream& md, const Inputs& in, const PlotNotes& notes);

/// "## Sparse search space": networks, intervals, top_k, the number of distinct predicted values
/// (a warning when at most half as many as networks), predictor evaluations, and the
/// unreachable intervals merged into MACs ranges (the first 10 listed).
void write_sparse_space(std::ostream& md, const Inputs& in);

/// The pairs' measurement noise beside their spread (part of the predictors section), with a
/// warning line when the noise of one accuracy exceeds half the spread.
void write_pairs_noise(std::ostream& md, const predictor::MeasurementNoise& noise);

/// "## Training curves": last and best epochs per stage history, and the training plot.
void write_training(std::ostream& md, const Inputs& in, const PlotNotes& notes);

/// "## Warnings": each of `warnings` as a list item, or a line saying there are none.
void write_warnings(std::ostream& md, const std::vector<std::string>& warnings);

}  // namespace sparsenas::report::detail
