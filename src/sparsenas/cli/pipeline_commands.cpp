// `sparsenas run` (the pipeline), `sparsenas search` (lookup in a finished run's family) and
// `sparsenas export` (one network as a standalone TorchScript file with a JSON sidecar).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include <torch/script.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/export/torchscript.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/core/clock.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/report/compare.h"
#include "sparsenas/pipeline/space_stats.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kExitInterrupted = 130;


// ----------------------------------------------------------------------------------------------
// run

struct RunFlags {
  std::string preset = "quick";
  std::string config_file;
  std::string out;
  bool json = false;
  bool print_config = false;
  std::optional<std::string> method, space, device, data, data_path;
  std::optional<double> width_mult;
  std::optional<int64_t> threads, image_size, val_size, train_limit, test_limit;
  std::optional<uint64_t> seed;
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
  json data = json::object();
  if (f.data) data["source"] = *f.data;
  if (f.data_path) data["path"] = *f.data_path;
  if (f.image_size) data["image_size"] = *f.image_size;
  if (f.val_size) data["val_size"] = *f.val_size;
  if (f.train_limit) data["train_limit"] = *f.train_limit;
  if (f.test_limit) data["test_limit"] = *f.test_limit;
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
  const fs::path out = f.out.empty() ? fs::path("runs") / timestamp() : fs::path(f.out);
  SNAS_LOG(INFO) << "run " << out.string() << ": method " << config.method << ", preset " << config.preset
                 << ", space " << config.space << ", data " << config.data.source;

  pipeline::RunSummary summary;
  try {
    const StopOnInterrupt stop_on_ctrl_c;
    summary = pipeline::run_pipeline(config, out);
  } catch (const pipeline::Interrupted& e) {
    SNAS_LOG(WARN) << e.what();
    throw CLI::RuntimeError(kExitInterrupted);
  }

  const rundir::Manifest manifest = rundir::Manifest::read(out / "manifest.json");
  json result = {{"run", out.string()},
                 {"report", summary.report.string()},
                 {"family", (out / "family.csv").string()},
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

// ----------------------------------------------------------------------------------------------
// search and export share the bound flags.

struct BoundFlags {
  std::optional<double> max_macs, max_latency_ms, max_params;
};

void add_bound_flags(CLI::App& cmd, BoundFlags& b, CLI::Option** first = nullptr) {
  auto* macs = cmd.add_option("--max-macs", b.max_macs, "largest MACs per image (e.g. 8e6)");
  auto* latency = cmd.add_option("--max-latency-ms", b.max_latency_ms, "largest batch-1 latency in ms (measured in the run)");
  auto* params = cmd.add_option("--max-params", b.max_params, "largest parameter count");
  macs->excludes(latency)->excludes(params);
  latency->excludes(params);
  if (first) *first = macs;
}

std::optional<std::pair<search::Bound, double>> bound_of(const BoundFlags& b) {
  if (b.max_macs) return std::make_pair(search::Bound::kMacs, *b.max_macs);
  if (b.max_latency_ms) return std::make_pair(search::Bound::kLatencyMs, *b.max_latency_ms);
  if (b.max_params) return std::make_pair(search::Bound::kParams, *b.max_params);
  return std::nullopt;
}

double bound_value(const search::FamilyRow& row, search::Bound bound) {
  switch (bound) {
    case search::Bound::kMacs:
      return static_cast<double>(row.macs);
    case search::Bound::kLatencyMs:
      return row.latency_ms;
    case search::Bound::kParams:
      return static_cast<double>(row.params);
  }
  return 0;
}

json row_json(const search::FamilyRow& row) {
  auto number_or_null = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  return {{"arch", space::to_json(row.arch)},
          {"macs", row.macs},
          {"params", row.params},
          {"latency_ms", number_or_null(row.latency_ms)},
          {"val_top1", row.val_top1},
          {"test_top1", number_or_null(row.test_top1)}};
}

// The best family member within the bound; a clear error when none is.
search::FamilyRow lookup(const search::FamilyTable& family, const fs::path& file, search::Bound bound, double limit,
                         double* query_us) {
  SNAS_CHECK(std::isfinite(limit) && limit >= 0, "the bound must be a finite number >= 0, got ", limit);
  // Time the lookup: the median of many repeated queries (one is tens of nanoseconds).
  std::vector<double> times;
  std::optional<int64_t> index;
  for (int round = 0; round < 101; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) index = family.best_index_within(bound, limit);
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / 100);
  }
  std::nth_element(times.begin(), times.begin() + 50, times.end());
  if (query_us) *query_us = times[50];
  if (!index) {
    double smallest = std::numeric_limits<double>::infinity();
    for (const auto& row : family.rows()) {
      const double v = bound_value(row, bound);
      if (!std::isnan(v)) smallest = std::min(smallest, v);
    }
    if (std::isinf(smallest)) {
      SNAS_FAIL("no network in ", file, " has a measured ", search::to_string(bound),
                " (the run was made with family.latency_repeats 0)");
    }
    SNAS_FAIL("no network in ", file, " has ", search::to_string(bound), " <= ", limit, "; the smallest has ",
              smallest, " (", family.size(), " networks)");
  }
  return family.rows()[static_cast<size_t>(*index)];
}

struct SearchFlags {
  std::string run;
  BoundFlags bound;
  bool json = false;
};

void run_search(const SearchFlags& f) {
  const auto bound = bound_of(f.bound);
  SNAS_CHECK(bound, "give one bound: --max-macs, --max-latency-ms or --max-params");
  const fs::path dir(f.run);
  SNAS_CHECK(fs::is_directory(dir), "--run ", dir, ": no such run directory");
  const fs::path file = dir / "family.csv";
  SNAS_CHECK(fs::exists(file), "--run ", dir,
             ": no family.csv: the run has not finished its family stage (rerun its `sparsenas run` command)");
  const search::FamilyTable family = search::FamilyTable::read_csv(file);
  double query_us = 0;
  const search::FamilyRow row = lookup(family, file, bound->first, bound->second, &query_us);
  json result = row_json(row);
  result["bound"] = search::to_string(bound->first);
  result["limit"] = bound->second;
  result["query_us"] = query_us;
  result["family_size"] = family.size();
  if (f.json) {
    std::cout << result.dump(2) << std::endl;
  } else {
    std::cout << row.arch.to_string() << "\nmacs " << row.macs << " params " << row.params << " latency_ms "
              << row.latency_ms << " val_top1 " << row.val_top1 << " test_top1 " << row.test_top1 << "\nquery "
              << query_us << " us over " << family.size() << " networks\n";
  }
}

struct ExportFlags {
  std::string run;
  std::optional<std::string> arch;
  BoundFlags bound;
  std::string format = "torchscript";
  std::string out;
  bool json = false;
};

void run_export(const ExportFlags& f) {
  SNAS_CHECK(f.format == "torchscript", "--format must be torchscript (ONNX export is not implemented yet), got \"",
             f.format, "\"");
  const auto bound = bound_of(f.bound);
  SNAS_CHECK(f.arch.has_value() != bound.has_value(),
             "give either --arch or one bound (--max-macs, --max-latency-ms, --max-params)");
  const fs::path out(f.out);
  SNAS_CHECK(out.extension() != ".json", "--out ", out, " must not end in .json (the sidecar is written there)");
  SNAS_CHECK(out.parent_path().empty() || fs::is_directory(out.parent_path()), "--out ", out,
             ": the folder ", out.parent_path(), " does not exist");
  const pipeline::RunInfo run = pipeline::read_run(f.run);
  const search::FamilyTable family = search::FamilyTable::read_csv(run.dir / "family.csv");
  space::Arch arch;
  if (f.arch) {
    arch = run.space.resolve(*f.arch);
  } else {
    arch = lookup(family, run.dir / "family.csv", bound->first, bound->second, nullptr).arch;
  }
  arch = run.space.canonical(arch);
  std::optional<search::FamilyRow> member;
  for (const auto& row : family.rows()) {
    if (run.space.canonical(row.arch) == arch) member = row;
  }

  pipeline::DeployableNetwork network = pipeline::load_network(run, arch);
  exporter::save_torchscript(*network.net, network.mean, network.std, out);

  // Check the file against the network it came from, on real validation images.
  const data::Splits splits = data::load_splits(run.config.data);
  const data::Dataset& check_set = splits.val.size() > 0 ? splits.val : splits.test;
  const int64_t n = std::min<int64_t>(16, check_set.size());
  const torch::Tensor pixels = check_set.images.slice(0, 0, n).to(torch::kFloat32).div(255.0);
  torch::jit::Module loaded = torch::jit::load(out.string());
  torch::Tensor exported, reference;
  {
    torch::NoGradGuard no_grad;
    exported = loaded.forward({pixels}).toTensor();
    reference = network.net->forward(data::to_float_normalized(check_set.images.slice(0, 0, n), network.mean, network.std));
  }
  const double max_diff = (exported - reference).abs().max().item<double>();
  const double max_logit = reference.abs().max().item<double>();
  // float32 sums in another order: allow 1e-5 relative to the size of the logits.
  SNAS_CHECK(max_diff <= 1e-5 * std::max(1.0, max_logit), "internal check failed: the exported file's outputs differ ",
             "from the network's by ", max_diff, " (largest logit ", max_logit, "; please report this)");

  json accuracy;
  if (member) {
    accuracy = {{"val_top1", member->val_top1},
                {"test_top1", std::isnan(member->test_top1) ? json(nullptr) : json(member->test_top1)},
                {"latency_ms", std::isnan(member->latency_ms) ? json(nullptr) : json(member->latency_ms)},
                {"source", "family.csv"}};
  } else {
    // Not a family member: measure it now on the same images as the family stage.
    auto first = [](const data::Dataset& d, int64_t k) { return k <= 0 || k >= d.size() ? d : d.subset(torch::arange(k)); };
    const auto val = train::evaluate(*network.net, first(splits.val, run.config.family.val_images), 500,
                                     network.mean, network.std, torch::kCPU);
    const auto test = train::evaluate(*network.net, first(splits.test, run.config.family.test_images), 500,
                                      network.mean, network.std, torch::kCPU);
    accuracy = {{"val_top1", val.top1}, {"test_top1", test.top1}, {"latency_ms", nullptr}, {"source", "measured at export"}};
  }
  const int64_t c = network.channels, r = network.resolution;
  json sidecar = {{"format", "torchscript"},
                  {"file", out.filename().string()},
                  {"sparsenas_version", "0.1.0"},
                  {"exported_at", utc_now()},
                  {"run", fs::absolute(run.dir).string()},
                  {"space", run.space.name()},
                  {"arch", space::to_json(arch)},
                  {"input",
                   {{"shape", {-1, c, r, r}},
                    {"dtype", "float32"},
                    {"layout", "NCHW"},
                    {"pixel_range", {0.0, 1.0}},
                    {"normalization", {{"mean", network.mean}, {"std", network.std}, {"applied_inside", true}}}}},
                  {"output", {{"shape", {-1, static_cast<int64_t>(network.class_names.size())}}, {"kind", "logits"}}},
                  {"class_names", network.class_names},
                  {"macs", network.macs},
                  {"params", network.params},
                  {"accuracy", accuracy},
                  {"check", {{"images", n}, {"max_abs_diff", max_diff}, {"max_abs_logit", max_logit}}}};
  fs::path sidecar_path = out;
  sidecar_path.replace_extension(".json");
  write_json_file(sidecar_path, sidecar);
  SNAS_LOG(INFO) << "exported " << arch.to_string() << " (" << network.macs / 1e6 << "M MACs) to " << out.string()
                 << "; sidecar " << sidecar_path.string();
  json result = {{"model", out.string()}, {"sidecar", sidecar_path.string()}, {"arch", space::to_json(arch)},
                 {"macs", network.macs}, {"params", network.params}, {"accuracy", accuracy},
                 {"max_abs_diff", max_diff}};
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

struct SpaceStatsFlags {
  std::string run;
  std::vector<int64_t> samples;
  std::string supernet = "proxy";
  uint64_t seed = 0;
  bool json = false;
};

void run_space_stats(const SpaceStatsFlags& f) {
  pipeline::SpaceStats stats;
  try {
    const StopOnInterrupt stop_on_ctrl_c;
    stats = pipeline::compute_space_stats(f.run, f.supernet, f.samples, f.seed);
  } catch (const pipeline::Interrupted& e) {
    SNAS_LOG(WARN) << e.what();
    throw CLI::RuntimeError(kExitInterrupted);
  }
  if (f.json) {
    std::cout << pipeline::to_json(stats).dump(2) << std::endl;
  } else {
    for (const auto& r : stats.rows) {
      std::cout << "n " << r.n << " mean " << r.mean << " std " << r.std << " high " << r.high << " ratio " << r.ratio
                << "\n";
    }
  }
  SNAS_LOG(INFO) << "written " << (fs::path(f.run) / "space_stats.md").string();
}

struct CompareFlags {
  std::vector<std::string> runs;
  std::string out;
  bool no_plots = false;
};

void run_compare(const CompareFlags& f) {
  std::vector<fs::path> dirs(f.runs.begin(), f.runs.end());
  report::CompareOptions options;
  options.plots = !f.no_plots;
  const report::CompareResult result = report::write_comparison(dirs, f.out, options);
  for (const auto& w : result.warnings) SNAS_LOG(WARN) << "compare: " << w;
  std::cout << result.markdown.string() << std::endl;
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Finished runs of different methods side by side: accuracy vs MACs, "
                                                "per-interval differences, training and search cost");
  cmd->add_option("runs", f->runs, "run directories of `sparsenas run` (the first sparsenas run is the reference)")
      ->required();
  cmd->add_option("--out", f->out, "output directory for compare.md, compare.json and the plot")->required();
  cmd->add_flag("--no-plots", f->no_plots, "write the tables only (no gnuplot)");
  cmd->callback([f] { run_compare(*f); });
}

void add_space_stats_command(CLI::App& app) {
  auto f = std::make_shared<SpaceStatsFlags>();
  CLI::App* cmd = app.add_subcommand("space-stats", "Paper Table 1 on a run's trained supernet: accuracy mean, std "
                                                    "and share of high-quality networks among random samples");
  cmd->add_option("--run", f->run, "run directory of `sparsenas run`")->required();
  cmd->add_option("--samples", f->samples, "sample sizes, e.g. 500,1000,2000 (nested samples)")
      ->required()
      ->delimiter(',');
  cmd->add_option("--supernet", f->supernet, "proxy (trained on the whole space) or sparse")->capture_default_str();
  cmd->add_option("--seed", f->seed, "seed of the sample")->capture_default_str();
  cmd->add_flag("--json", f->json, "print the result as JSON");
  cmd->callback([f] { run_space_stats(*f); });
}

void add_run_command(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Run the SparseNAS pipeline (stages 1-8) into a run directory; "
                                            "rerunning the same command resumes it");
  cmd->add_option("--preset", f->preset, "tiny, quick, standard or paper")->capture_default_str();
  cmd->add_option("--config", f->config_file, "JSON file over the preset (keys: docs/run-directory.md, "
                                              "`sparsenas run --print-config`); flags override it");
  cmd->add_option("--out", f->out, "run directory (default runs/<timestamp>)");
  cmd->add_option("--method", f->method,
                  "sparsenas (default), ofa, compofa, spos or random-subspace (stages: docs/run-directory.md)");
  cmd->add_option("--space", f->space, "search space: ofa-mbv3 (default), proxyless, compofa or a JSON file");
  cmd->add_option("--width-mult", f->width_mult, "width multiplier of the space (default 1.0)");
  cmd->add_option("--threads", f->threads, "intra-op threads (default: all cores)");
  cmd->add_option("--device", f->device, "cpu, cuda or cuda:N (default cpu)");
  cmd->add_option("--seed", f->seed, "seed of every training stage (default 0)");
  cmd->add_option("--data", f->data, "dataset: fashion-mnist (default), idx, cifar10, cifar100, folder");
  cmd->add_option("--data-path", f->data_path, "dataset directory");
  cmd->add_option("--image-size", f->image_size, "resize images to this square size (0 = native)");
  cmd->add_option("--val-size", f->val_size, "training images held out for validation");
  cmd->add_option("--train-limit", f->train_limit, "use at most this many training images (0 = all)");
  cmd->add_option("--test-limit", f->test_limit, "use at most this many test images (0 = all)");
  cmd->add_flag("--json", f->json, "print the result as JSON");
  cmd->add_flag("--print-config", f->print_config, "print the resolved config as JSON and exit");
  cmd->callback([f] { run_run(*f); });
}

void add_search_command(CLI::App& app) {
  auto f = std::make_shared<SearchFlags>();
  CLI::App* cmd = app.add_subcommand("search", "The most accurate network of a finished run within a bound, by "
                                               "lookup in its family (validation accuracy)");
  cmd->add_option("--run", f->run, "run directory of `sparsenas run`")->required();
  add_bound_flags(*cmd, f->bound);
  cmd->add_flag("--json", f->json, "print the result as JSON");
  cmd->callback([f] { run_search(*f); });
}

void add_export_command(CLI::App& app) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Write one network of a finished run as a standalone TorchScript "
                                               "file (+ JSON sidecar)");
  cmd->add_option("--run", f->run, "run directory of `sparsenas run`")->required();
  cmd->add_option("--arch", f->arch, "architecture: JSON, max or min (or give a bound instead)");
  add_bound_flags(*cmd, f->bound);
  cmd->add_option("--format", f->format, "torchscript")->capture_default_str();
  cmd->add_option("--out", f->out, "output file, e.g. model.pt (the sidecar goes to model.json)")->required();
  cmd->add_flag("--json", f->json, "pretty-print the JSON result");
  cmd->callback([f] { run_export(*f); });
}

}  // namespace sparsenas::cli
