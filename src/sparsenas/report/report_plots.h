#pragma once
// The plots of report.md (internal to the report library): gnuplot scripts and data built from
// the run's inputs, rendered by gnuplot.h.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/report/gnuplot.h"
#include "sparsenas/report/report.h"
#include "sparsenas/report/report_inputs.h"

namespace sparsenas::report::detail {

using Plot = PlotSpec;
/// Per plot name, the markdown that embeds it (an image link, or a note saying why not).
using PlotNotes = std::map<std::string, std::string>;

/// Writes the plots' scripts and data to `<run_dir>/plots/` and renders them when
/// `options.plots` (gnuplot.h's render_plots); adds the PNG files and any warning to `result`.
PlotNotes render_plots(const std::filesystem::path& run_dir, const std::vector<Plot>& plots,
                       const ReportOptions& options, ReportResult& result);

/// The note of plot `name`; empty when it was not rendered or written.
std::string plot_note(const PlotNotes& notes, const std::string& name);

/// `accuracy_vs_macs`: the family's validation (and test, when any) top-1 against MACs; nullopt
/// without family networks.
std::optional<Plot> accuracy_plot(const Inputs& in);

/// `accuracy_vs_latency` (the paper's Fig. 7): the family's validation top-1 against the median
/// latency measured on each device (`sparsenas latency`), one series per device; nullopt when no
/// device was measured.
std::optional<Plot> latency_plot(const Inputs& in);

/// `predicted_vs_measured`: each predictor's held-out predictions against the measured top-1,
/// and `matched` (early predictor against the family), side by side when both exist; nullopt
/// when neither does.
std::optional<Plot> prediction_plot(const Inputs& in, const SparseVsFamily& matched);

/// `training_curves`: train loss per epoch of each stage's history, and validation top-1 beside
/// it when any epoch has one; nullopt without a non-empty history.
std::optional<Plot> training_plot(const Inputs& in);

}  // namespace sparsenas::report::detail
