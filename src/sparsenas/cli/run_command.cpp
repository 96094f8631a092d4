// `sparsenas run`: the pipeline (stages 1-8) into a run directory; rerunning resumes it.
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct RunFlags {
  std::string preset = "quick";
  std::string config_file;
  std::string out;
  std::string stop_after;
  bool json = false;
  bool print_config = false;
  std::optional<std::string> method, space, device, teacher;
  std::optional<double> width_mult;
  std::optional<int64_t> threads;
  std::optional<uint64_t> seed;
  DataFlags data;
};

void run_run(const RunFlags& f) {
  json file;
  if (!f.config_file.empty()) file = read_json_file(f.config_file);
  json flags = json::object();
  if (f.method) flags["method"] = *f.method;
  if (f.space) flags["space"] = *f.space;
  if (f.device) flags["device"] = *f.device;
  if (f.width_mult) flags["width_mult"] = *f.width_mult;
  if (f.threads) flags["threads"] = *f.threads;
  if (f.seed) flags["seed"] = *f.seed;
  // Absolute, so that config.json names the same teacher from any working directory ("" = train one).
  if (f.teacher) {
    flags["teacher_stage"]["from"] = f.teacher->empty() ? "" : fs::absolute(*f.teacher).lexically_normal().string();
  }
  const json data = f.data.to_json();
  if (!data.empty()) flags["data"] = data;
  pipeline::RunConfig config;
  try {
    config = pipeline::resolve_run_config(f.preset, file, flags);
  } catch (const Error& e) {
    SNAS_FAIL(f.config_file.empty() ? "" : "config " + f.config_file + ": ", e.what());
  }
  if (f.print_config) {
    std::cout << pipeline::to_json(config).dump(2) << std::endl;
    return;
  }
  // Several ranks (torchrun): every rank runs the pipeline (training data-parallel, evaluation
  // divided among the ranks), rank 0 alone writes the run directory and reports (pipeline.h).
  SNAS_CHECK(!dist::is_distributed() || !f.out.empty(), "sparsenas run on ", dist::size(),
             " processes needs --out (the default names a timestamp, which may differ between the ranks)");
  const fs::path out = f.out.empty() ? fs::path("runs") / timestamp() : fs::path(f.out);
  SNAS_LOG(INFO) << "run " << out.string() << ": method " << config.method << ", preset " << config.preset
                 << ", space " << config.space << ", data " << config.data.source;

  const pipeline::RunSummary summary = run_interruptible([&] { return pipeline::run_pipeline(config, out, f.stop_after); });
  if (!dist::is_main()) return;
  if (!summary.stopped_after.empty()) {
    SNAS_LOG(INFO) << "stopped after stage " << summary.stopped_after
                   << " (--stop-after); rerun without it to finish the run";
    if (f.json) {
      std::cout << json{{"run", out.string()}, {"stopped_after", summary.stopped_after}, {"ran", summary.ran},
                        {"skipped", summary.skipped}}
                       .dump(2)
                << std::endl;
    }
    return;
  }

  const rundir::Manifest manifest = rundir::Manifest::read(out / rundir::kManifest);
  json result = {{"run", out.string()},
                 {"report", summary.report.string()},
                 {"family", (out / rundir::kFamily).string()},
                 {"ran", summary.ran},
                 {"skipped", summary.skipped}};
  if (const auto* family = manifest.find("family")) result["family_metrics"] = family->metrics;
  double wall = 0, core = 0;
  for (const auto& s : manifest.stages) {
    wall += s.wall_seconds;
    core += s.core_seconds;
  }
  result["wall_seconds"] = wall;
  result["core_hours"] = core / 3600.0;
  if (f.json) {
    std::cout << result.dump(2) << std::endl;
  } else {
    std::cout << "report " << summary.report.string() << "\n";
  }
  SNAS_LOG(INFO) << "report: " << summary.report.string();
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto [cmd, f] = add_command<RunFlags>(app, "run",
                                        "Run the SparseNAS pipeline (stages 1-8) into a run directory; "
                                        "rerunning the same command resumes it",
                                        run_run);
  add_preset_option(*cmd, f->preset, "settings to start from");
  auto run_help = [](const char* key) { return field_help<pipeline::RunConfig>(key); };
  cmd->add_option("--config", f->config_file, "JSON file over the preset (keys: docs/run-directory.md, "
                                              "`sparsenas run --print-config`); flags override it");
  cmd->add_option("--out", f->out, "run directory (default runs/<timestamp>)");
  cmd->add_option("--stop-after", f->stop_after,
                  "run the stages up to and including this one (e.g. sparse_space), then stop; rerun without it "
                  "to continue");
  cmd->add_option("--method", f->method, run_help("method") + " (stages: docs/run-directory.md)");
  std::string spaces;
  for (const auto& name : space::SearchSpace::builtin_names()) spaces += (spaces.empty() ? "" : ", ") + name;
  cmd->add_option("--space", f->space, run_help("space") + "; built in: " + spaces);
  cmd->add_option("--width-mult", f->width_mult, run_help("width_mult"));
  cmd->add_option("--threads", f->threads, run_help("threads"));
  cmd->add_option("--device", f->device, run_help("device"));
  cmd->add_option("--seed", f->seed, run_help("seed"));
  cmd->add_option("--teacher", f->teacher,
                  "reuse a trained teacher instead of training one: a finished run directory, a `sparsenas train` "
                  "directory or a teacher checkpoint (config teacher_stage.from)");
  add_data_flags(*cmd, f->data, /*preset_default=*/true);
  add_json_flag(*cmd, f->json);
  cmd->add_flag("--print-config", f->print_config, "print the resolved config as JSON and exit");
}

}  // namespace sparsenas::cli
