// `sparsenas import-ofa` and `sparsenas export-ofa`: Once-for-All checkpoints in and out of run
// directories (pipeline/ofa_import.h; the tensor names in nn/ofa_state_dict.h).
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
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/nn/ofa_state_dict.h"
#include "sparsenas/pipeline/ofa_import.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ImportFlags {
  std::string checkpoint;
  std::string space = "ofa-mbv3";
  double width_mult = 1.0;
  std::string out;
  std::string preset = "quick";
  std::string config_file;
  std::optional<int64_t> threads;
  DataFlags data;
  bool json = false;
};

void run_import_ofa(const ImportFlags& f) {
  SNAS_CHECK(f.space == "ofa-mbv3" || f.space == "ofa-mbv3-s1" || f.space == "proxyless",
             "--space: expected ofa-mbv3, ofa-mbv3-s1 or proxyless (OFA's supernets), got \"", f.space, "\"");
  const fs::path checkpoint = fs::absolute(f.checkpoint).lexically_normal();
  SNAS_CHECK(fs::is_regular_file(checkpoint), "--checkpoint ", checkpoint, ": no such file");
  json file;
  if (!f.config_file.empty()) file = read_json_file(f.config_file);
  json flags = {{"method", "ofa-import"},
                {"space", f.space},
                {"width_mult", f.width_mult},
                {"import_ofa", {{"checkpoint", checkpoint.string()}, {"checkpoint_hash", hash_file(checkpoint)}}}};
  if (f.threads) flags["threads"] = *f.threads;
  const json data = f.data.to_json();
  if (!data.empty()) flags["data"] = data;
  pipeline::RunConfig config;
  try {
    config = pipeline::resolve_run_config(f.preset, file, flags);
  } catch (const Error& e) {
    SNAS_FAIL(f.config_file.empty() ? "" : "config " + f.config_file + ": ", e.what());
  }
  const fs::path out(f.out);
  SNAS_LOG(INFO) << "import-ofa " << checkpoint.string() << " as " << f.space << " x" << f.width_mult << " into "
                 << out.string() << " (data " << config.data.source << ", preset " << config.preset << ")";
  const pipeline::RunSummary summary = run_interruptible([&] { return pipeline::run_pipeline(config, out, "import"); });
  const std::string next = "sparsenas run --config " + (out / "config.json").string() + " --out " + out.string();
  SNAS_LOG(INFO) << "imported; `sparsenas export --run " << out.string()
                 << " --arch max ...` exports a network now; to find the family: " << next;
  const json result = {{"run", out.string()}, {"ran", summary.ran}, {"skipped", summary.skipped}, {"next", next}};
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

struct ExportFlags {
  std::string run, out;
  bool teacher = false;
  bool json = false;
};

void run_export_ofa(const ExportFlags& f) {
  const pipeline::OfaExport e = pipeline::export_ofa(f.run, f.out, f.teacher);
  const json result = {{"file", e.file.string()}, {"sidecar", e.sidecar.string()}, {"network", e.network},
                       {"tensors", e.tensors}};
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

}  // namespace

void add_ofa_commands(CLI::App& app) {
  {
    auto [cmd, f] = add_command<ImportFlags>(app, "import-ofa",
                                             "Import a Once-for-All supernet checkpoint into a run directory "
                                             "(method ofa-import), ready for `run`, `export`, `latency` ...",
                                             run_import_ofa);
    cmd->add_option("--checkpoint", f->checkpoint,
                    "OFA's checkpoint: torch.save({\"state_dict\": ...}) as OFA's code saves it, or a bare state dict")
        ->required();
    cmd->add_option("--space", f->space, "OFA's space of the checkpoint: ofa-mbv3 (OFAMobileNetV3), proxyless "
                                         "(OFAProxylessNASNets) or ofa-mbv3-s1 (OFA-MobileNetV3 weights, stride-1 stem)")
        ->capture_default_str();
    cmd->add_option("--width-mult", f->width_mult, "the checkpoint's width multiplier (e.g. 1.2 for ..._w1.2)")
        ->capture_default_str();
    cmd->add_option("--out", f->out, "run directory to create")->required();
    add_preset_option(*cmd, f->preset, "settings of the later stages (pairs, family search, family)");
    cmd->add_option("--config", f->config_file, "JSON file over the preset (as `sparsenas run --config`)");
    cmd->add_option("--threads", f->threads, field_help<pipeline::RunConfig>("threads"));
    add_data_flags(*cmd, f->data, /*preset_default=*/true);
    add_json_flag(*cmd, f->json, /*pretty=*/true);
  }
  {
    auto [cmd, f] = add_command<ExportFlags>(app, "export-ofa",
                                             "Write a run's supernet as a state dict that Once-for-All's "
                                             "OFAMobileNetV3 / OFAProxylessNASNets load (+ JSON sidecar)",
                                             run_export_ofa);
    add_run_dir_option(*cmd, f->run);
    cmd->add_option("--out", f->out, "output file, e.g. supernet_ofa.pt (the sidecar goes to supernet_ofa.json)")
        ->required();
    cmd->add_flag("--teacher", f->teacher, "write the run's teacher.pt instead of its supernet.pt");
    add_json_flag(*cmd, f->json, /*pretty=*/true);
  }
}

}  // namespace sparsenas::cli
