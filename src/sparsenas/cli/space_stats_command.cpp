// `sparsenas space-stats`: paper Table 1 on a run's trained supernet (pipeline::compute_space_stats).
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/pipeline/space_stats.h"
#include "sparsenas/rundir/artifacts.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;

namespace {

struct SpaceStatsFlags {
  std::string run;
  std::vector<int64_t> samples;
  std::string supernet = "proxy";
  uint64_t seed = 0;
  bool json = false;
};

void run_space_stats(const SpaceStatsFlags& f) {
  dist::init();  // several ranks: meet first, so that only rank 0 logs
  // Ranks that drew other networks would record their numbers against rank 0's: the same command.
  std::string settings = f.run + "|" + f.supernet + "|" + std::to_string(f.seed);
  for (const int64_t n : f.samples) settings += "|" + std::to_string(n);
  dist::check_same("space-stats' settings (every rank must run the same command)", settings);
  const pipeline::SpaceStats stats =
      run_interruptible([&] { return pipeline::compute_space_stats(f.run, f.supernet, f.samples, f.seed); });
  if (!dist::is_main()) return;  // several ranks: rank 0 reports
  if (f.json) {
    std::cout << pipeline::to_json(stats).dump(2) << std::endl;
  } else {
    for (const auto& r : stats.rows) {
      std::cout << "n " << r.n << " mean " << r.mean << " std " << r.std << " high " << r.high << " ratio " << r.ratio
                << "\n";
    }
  }
  SNAS_LOG(INFO) << "written " << (fs::path(f.run) / rundir::kSpaceStatsMarkdown).string();
}

}  // namespace

void add_space_stats_command(CLI::App& app) {
  auto [cmd, f] = add_command<SpaceStatsFlags>(app, "space-stats",
                                               "Paper Table 1 on a run's trained supernet: accuracy mean, std "
                                               "and share of high-quality networks among random samples",
                                               run_space_stats);
  add_run_dir_option(*cmd, f->run);
  cmd->add_option("--samples", f->samples, "sample sizes, e.g. 500,1000,2000 (nested samples)")
      ->required()
      ->delimiter(',');
  cmd->add_option("--supernet", f->supernet, "proxy (trained on the whole space) or sparse")->capture_default_str();
  cmd->add_option("--seed", f->seed, "seed of the sample")->capture_default_str();
  add_json_flag(*cmd, f->json);
}

}  // namespace sparsenas::cli
