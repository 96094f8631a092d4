// `sparsenas check-selection --run SPARSE_RUN --on SUPERNET_RUN`: a sparse space's networks against
// as many random networks of the same MACs intervals on one whole-space supernet
// (pipeline::check_selection).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/pipeline/check_selection.h"
#include "sparsenas/report/format.h"

namespace sparsenas::cli {

namespace {

struct CheckSelectionFlags {
  std::string run, on, out;
  pipeline::CheckSelectionOptions options;
  bool json = false;
};

std::string with_ci(double value, const report::Interval& ci) {
  std::string s = report::signed_points(value);
  if (std::isfinite(ci[0])) s += " [" + report::signed_points(ci[0]) + ", " + report::signed_points(ci[1]) + "]";
  return s;
}

void run_check_selection(const CheckSelectionFlags& f) {
  dist::init();  // several ranks: meet first, so that only rank 0 logs
  // Ranks that drew other networks would record their numbers against rank 0's: the same command.
  dist::check_same("check-selection's settings (every rank must run the same command)",
                   f.run + "|" + f.on + "|" + f.out + "|" + f.options.split + "|" + std::to_string(f.options.images) +
                       "|" + std::to_string(f.options.seed) + "|" + std::to_string(f.options.bootstrap_resamples) +
                       "|" + std::to_string(f.options.max_draws_per_interval));
  pipeline::CheckSelectionOptions options = f.options;
  options.out = f.out;
  const pipeline::CheckSelectionResult r =
      run_interruptible([&] { return pipeline::check_selection(f.run, f.on, options); });
  if (!dist::is_main()) return;  // several ranks: rank 0 reports
  if (f.json) {
    std::cout << pipeline::to_json(r).dump(2) << std::endl;
  } else {
    std::cout << "selected (" << r.sparse_method << " run) vs random networks on the " << r.supernet_method
              << " supernet, " << r.split << " top-1 on " << r.images << " images (points; 95% interval)\n"
              << "| MACs (M) | networks per side | selected | random | selected − random |\n"
              << "|---|---:|---:|---:|---|\n";
    for (size_t k = 0; k < r.intervals.size(); ++k) {
      const auto& i = r.intervals[k];
      const auto& s = r.stats.intervals[k];
      std::cout << "| " << report::millions(static_cast<double>(i.min_macs), 3) << "–"
                << report::millions(static_cast<double>(i.max_macs), 3) << " | " << i.networks << " | "
                << report::format_percent(s.selected_mean) << " | " << report::format_percent(s.random_mean) << " | "
                << with_ci(s.difference, s.ci95) << " |\n";
    }
    std::cout << "| all " << r.intervals.size() << " intervals | | " << report::format_percent(r.stats.selected_mean)
              << " | " << report::format_percent(r.stats.random_mean) << " | "
              << with_ci(r.stats.difference, r.stats.ci95) << " |\n";
    if (!r.skipped.empty()) std::cout << r.skipped.size() << " intervals left out (no random networks found)\n";
  }
  SNAS_LOG(INFO) << "written " << r.json.string();
}

}  // namespace

void add_check_selection_command(CLI::App& app) {
  auto [cmd, f] = add_command<CheckSelectionFlags>(
      app, "check-selection",
      "Does a sparse space select? Its networks vs as many random networks of the same MACs intervals, "
      "evaluated on one supernet trained on the whole space (an spos or ofa run), with a 95% interval",
      run_check_selection);
  cmd->add_option("--run", f->run, "the run whose sparse_space.json is checked (e.g. a sparsenas run)")->required();
  cmd->add_option("--on", f->on, "an spos or ofa run whose supernet.pt evaluates the networks")->required();
  cmd->add_option("--split", f->options.split, "images to evaluate on: test or val")->capture_default_str();
  cmd->add_option("--images", f->options.images,
                  "images per network (0 = the --on run's family.test_images or family.val_images)")
      ->capture_default_str();
  cmd->add_option("--seed", f->options.seed, "seed of the random networks and of the bootstrap")->capture_default_str();
  cmd->add_option("--bootstrap", f->options.bootstrap_resamples, "bootstrap resamples of the 95% interval (0 = none)")
      ->capture_default_str();
  cmd->add_option("--out", f->out, "the JSON result (default: <--run>/check_selection.json)");
  add_json_flag(*cmd, f->json);
}

}  // namespace sparsenas::cli
