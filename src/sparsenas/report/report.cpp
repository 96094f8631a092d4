#include "sparsenas/report/report.h"

#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/report/report_inputs.h"
#include "sparsenas/report/report_plots.h"
#include "sparsenas/report/report_sections.h"

namespace sparsenas::report {
namespace fs = std::filesystem;

void ReportOptions::validate() const {
  SNAS_CHECK(lookup_rounds >= 1, "report lookup_rounds must be >= 1, got ", lookup_rounds);
  SNAS_CHECK(lookup_queries_per_round >= 1, "report lookup_queries_per_round must be >= 1, got ",
             lookup_queries_per_round);
}

ReportResult write_report(const fs::path& run_dir, const ReportOptions& options) {
  options.validate();
  std::error_code ec;
  SNAS_CHECK(fs::is_directory(run_dir, ec), "run directory ", run_dir,
             ": expected an existing directory, got ",
             fs::exists(run_dir, ec) ? "something else" : "no such file or directory");
  ReportResult result;
  result.markdown = run_dir / "report.md";
  detail::Inputs in = detail::load_inputs(run_dir, result.warnings);

  const detail::SparseVsFamily matched = detail::match_sparse_family(in);
  std::vector<detail::Plot> plots;
  for (auto plot : {detail::accuracy_plot(in), detail::prediction_plot(in, matched),
                    detail::training_plot(in), detail::latency_plot(in)}) {
    if (plot) plots.push_back(std::move(*plot));
  }
  const detail::PlotNotes notes = detail::render_plots(run_dir, plots, options, result);

  std::ostringstream md;
  detail::write_header(md, run_dir, in);
  detail::write_predictors(md, in, matched, notes);
  detail::write_costs(md, in);
  detail::write_search_cost(md, in, options);
  detail::write_best_networks(md, in, notes);
  if (!in.devices.empty()) {
    // The paper's Fig. 7: accuracy against the latency measured on each device.
    md << "## Accuracy against latency per device\n\nMedian latency of every family network measured by "
          "`sparsenas latency` (`latency/<device>.csv`) on: ";
    for (size_t i = 0; i < in.devices.size(); ++i) md << (i ? ", " : "") << "`" << in.devices[i].first << "`";
    md << ".\n\n" << detail::plot_note(notes, "accuracy_vs_latency") << "\n\n";
  }
  detail::write_sparse_space(md, in);
  detail::write_training(md, in, notes);
  detail::write_warnings(md, result.warnings);
  write_file_atomic(result.markdown, md.str());
  return result;
}

}  // namespace sparsenas::report
