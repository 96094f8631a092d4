// `sparsenas compare RUN_DIR... --out DIR`: finished runs side by side (report::write_comparison).
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/log.h"
#include "sparsenas/report/compare.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;

namespace {

struct CompareFlags {
  std::vector<std::string> runs;
  std::string out;
  bool no_plots = false;
  report::CompareOptions options;
};

void run_compare(const CompareFlags& f) {
  std::vector<fs::path> dirs(f.runs.begin(), f.runs.end());
  report::CompareOptions options = f.options;
  options.plots = !f.no_plots;
  const report::CompareResult result = report::write_comparison(dirs, f.out, options);
  for (const auto& w : result.warnings) SNAS_LOG(WARN) << "compare: " << w;
  std::cout << result.markdown.string() << std::endl;
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto [cmd, f] = add_command<CompareFlags>(app, "compare",
                                            "Finished runs of different methods side by side: accuracy vs MACs, "
                                            "per-interval differences, training and search cost",
                                            run_compare);
  cmd->add_option("runs", f->runs, "run directories of `sparsenas run` (the first sparsenas run is the reference)")
      ->required();
  cmd->add_option("--out", f->out, "output directory for compare.md, compare.json and the plot")->required();
  cmd->add_flag("--no-plots", f->no_plots, "write the tables only (no gnuplot)");
  cmd->add_option("--bootstrap", f->options.bootstrap_resamples,
                  "bootstrap resamples of every 95% interval (0 = no intervals)")
      ->capture_default_str();
  cmd->add_option("--bootstrap-seed", f->options.bootstrap_seed, "seed of the bootstrap")->capture_default_str();
}

}  // namespace sparsenas::cli
