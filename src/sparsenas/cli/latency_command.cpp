// `sparsenas latency` (every family network of a run measured on this device: latency/<device>.csv)
// and `sparsenas latency-table` (per-block latency table of a space, predicting a network as the
// sum of its parts): pipeline/latency.h.
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/pipeline/latency.h"
#include "sparsenas/report/report.h"
#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/search/latency_table.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct LatencyFlags {
  std::string run;
  pipeline::LatencyOptions options;
  std::optional<std::string> device;
  bool json = false;
};

void add_latency_option_flags(CLI::App& cmd, pipeline::LatencyOptions& o, bool runtime_choice) {
  auto help = [](const char* key) { return field_help<pipeline::LatencyOptions>(key); };
  if (runtime_choice) cmd.add_option("--runtime", o.runtime, help("runtime"));
  cmd.add_option("--threads", o.threads, help("threads"));
  cmd.add_option("--batch", o.batch, help("batch"));
  cmd.add_option("--warmup", o.warmup, help("warmup"));
  cmd.add_option("--repeats", o.repeats, help("repeats"));
}

void run_latency(const LatencyFlags& f) {
  pipeline::validate(f.options);
  const std::string device = f.device ? *f.device : rundir::default_device_name(f.options.runtime, f.options.threads);
  const pipeline::RunLatency r = run_interruptible([&] { return pipeline::measure_run_latency(f.run, f.options, device); });
  // The report draws accuracy against latency per device: write it again with this device.
  const fs::path report = r.file.parent_path().parent_path() / "report.md";
  if (fs::exists(report)) {
    const report::ReportResult written = report::write_report(report.parent_path());
    SNAS_LOG(INFO) << "report updated: " << written.markdown.string();
  }
  double fastest = r.rows.front().median_ms, slowest = fastest;
  for (const auto& row : r.rows) {
    fastest = std::min(fastest, row.median_ms);
    slowest = std::max(slowest, row.median_ms);
  }
  const json result = {{"device", r.device},
                       {"file", r.file.string()},
                       {"networks", r.rows.size()},
                       {"resumed", r.resumed},
                       {"runtime", f.options.runtime},
                       {"threads", f.options.threads},
                       {"batch", f.options.batch},
                       {"fastest_median_ms", fastest},
                       {"slowest_median_ms", slowest}};
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

struct LatencyTableFlags {
  SpaceFlags space;
  pipeline::LatencyOptions options;
  std::string out;
  int64_t check_networks = 0;
  uint64_t seed = 0;
  bool json = false;
};

void run_latency_table(const LatencyTableFlags& f) {
  pipeline::validate(f.options);
  SNAS_CHECK(f.check_networks == 0 || f.check_networks >= 2, "--check-networks must be 0 or >= 2, got ",
             f.check_networks);
  space::SpaceOptions options;
  options.resolution = f.space.resolution;
  options.in_channels = f.space.in_channels;
  options.num_classes = f.space.num_classes;
  options.width_mult = f.space.width_mult;
  const space::SearchSpace sp = space::SearchSpace::from_name(f.space.space, options);
  const search::LatencyTable table = pipeline::build_latency_table(sp, f.options, rundir::host_cpu_name());
  search::write_latency_table(f.out, table);
  SNAS_LOG(INFO) << "latency table of " << table.entries.size() << " parts written to " << f.out;
  json result = {{"table", f.out}, {"space", table.space}, {"entries", table.entries.size()},
                 {"threads", table.threads}, {"runtime", table.runtime}, {"machine", table.machine},
                 {"predicted_max_ms", table.predict_ms(sp, sp.max_arch(), f.out)},
                 {"predicted_min_ms", table.predict_ms(sp, sp.min_arch(), f.out)}};
  if (f.check_networks > 0) {
    const pipeline::LatencyTableCheck check =
        pipeline::check_latency_table(table, f.out, sp, f.options, f.check_networks, f.seed);
    result["check"] = {{"networks", check.networks},
                       {"rmse_percent", check.rmse_percent},
                       {"mean_abs_percent", check.mean_abs_percent},
                       {"bias_percent", check.bias_percent},
                       {"kendall_tau", check.kendall_tau},
                       {"seed", f.seed}};
  }
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

}  // namespace

void add_latency_commands(CLI::App& app) {
  {
    auto [cmd, f] = add_command<LatencyFlags>(
        app, "latency",
        "Measure every family network of a run on this machine (warm-up, then median and p90 of the repeats) "
        "into <run>/latency/<device>.csv",
        run_latency);
    add_run_dir_option(*cmd, f->run);
    add_latency_option_flags(*cmd, f->options, /*runtime_choice=*/true);
    cmd->add_option("--device-name", f->device,
                    "name of this device, the file latency/NAME.csv (default: the host's CPU model, the runtime "
                    "and the threads, here " +
                        rundir::default_device_name(f->options.runtime, f->options.threads) + ")");
    add_json_flag(*cmd, f->json, /*pretty=*/true);
  }
  {
    auto [cmd, f] = add_command<LatencyTableFlags>(
        app, "latency-table",
        "Measure every distinct block configuration of a space once (LibTorch) into a latency table that "
        "predicts a network as the sum of its parts",
        run_latency_table);
    add_space_flags(*cmd, f->space);
    add_latency_option_flags(*cmd, f->options, /*runtime_choice=*/false);
    cmd->add_option("--runtime", f->options.runtime, "runtime (libtorch only)")
        ->check(CLI::IsMember({"libtorch"}))
        ->capture_default_str();
    cmd->add_option("--out", f->out, "the table's JSON file, e.g. lut.json")->required();
    cmd->add_option("--check-networks", f->check_networks,
                    "then predict this many random networks and measure them whole: RMSE (%) and Kendall tau "
                    "(0 = no check)")
        ->capture_default_str();
    cmd->add_option("--seed", f->seed, "seed of the check's random networks")->capture_default_str();
    add_json_flag(*cmd, f->json, /*pretty=*/true);
  }
}

}  // namespace sparsenas::cli
