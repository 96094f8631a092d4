// `sparsenas export`: one network of a finished run as a standalone TorchScript or ONNX file with a
// JSON sidecar (exporter::save_torchscript, checked with exporter::check_torchscript;
// exporter::save_onnx, checked with ONNX's checker and OpenCV DNN by exporter::check_onnx).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/clock.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/export/onnx.h"
#include "sparsenas/export/torchscript.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/subnet_evaluator.h"
#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/train/evaluate.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ExportFlags {
  std::string run;
  std::optional<std::string> arch;
  BoundFlags bound;
  std::string format = "torchscript";
  std::string out;
  bool json = false;
};

void run_export(const ExportFlags& f) {
  SNAS_CHECK(f.format == "torchscript" || f.format == "onnx", "--format: expected torchscript or onnx, got \"",
             f.format, "\"");
  const bool onnx = f.format == "onnx";
  SNAS_CHECK(!onnx || exporter::onnx_available(), "--format onnx: this build of sparsenas has no ONNX support ",
             "(install libonnx-dev libprotobuf-dev libopencv-dnn-dev, as scripts/setup.sh does, and rebuild)");
  const auto bound = bound_of(f.bound);
  SNAS_CHECK(f.arch.has_value() != bound.has_value(),
             "give either --arch or one bound (--max-macs, --max-latency-ms, --max-params)");
  const fs::path out(f.out);
  SNAS_CHECK(out.extension() != ".json", "--out ", out, " must not end in .json (the sidecar is written there)");
  SNAS_CHECK(out.parent_path().empty() || fs::is_directory(out.parent_path()), "--out ", out,
             ": the folder ", out.parent_path(), " does not exist");
  // One network by --arch needs only the supernet (e.g. right after `sparsenas import-ofa`).
  const pipeline::RunInfo run = pipeline::read_run(f.run, /*require_family=*/!f.arch.has_value());
  SNAS_CHECK((!f.bound.device_name && !f.bound.latency_table && !f.bound.predicted_latency) || bound,
             "--device-name, --latency-table and --predicted-latency select by latency: give --max-latency-ms "
             "with them, not --arch");
  const search::FamilyTable family = fs::exists(run.dir / rundir::kFamily) || !f.arch
                                         ? family_for_bound(f.bound, run.dir)
                                         : search::FamilyTable{};
  space::Arch arch;
  if (f.arch) {
    arch = run.space.resolve(*f.arch);
  } else {
    const fs::path source = latency_source(f.bound, run.dir);
    arch = search::lookup(family, bound->first, bound->second, source).arch;
  }
  arch = run.space.canonical(arch);
  std::optional<search::FamilyRow> member;
  for (const auto& row : family.rows()) {
    if (run.space.canonical(row.arch) == arch) member = row;
  }

  pipeline::DeployableNetwork network = pipeline::load_network(run, arch);
  // Check the file against the network it came from, on real validation images. The data are
  // loaded before the file is written, so that a missing dataset leaves no file behind.
  const data::Splits splits = data::load_splits(run.config.data);
  const data::Dataset& check_set = splits.val.size() > 0 ? splits.val : splits.test;
  const int64_t n = std::min<int64_t>(16, check_set.size());
  const torch::Tensor images = check_set.images.slice(0, 0, n);
  const torch::Tensor pixels = images.to(torch::kFloat32).div(255.0);
  const torch::Tensor normalized = data::to_float_normalized(images, network.mean, network.std);
  json check_json;
  if (onnx) {
    exporter::save_onnx(*network.net, network.mean, network.std, out);
  } else {
    exporter::save_torchscript(*network.net, network.mean, network.std, out);
  }
  try {
    if (onnx) {
      const exporter::OnnxCheck check = exporter::check_onnx(out, *network.net, pixels, normalized);
      check_json = {{"images", check.images},
                    {"max_abs_diff", check.max_abs_diff},
                    {"max_abs_logit", check.max_abs_logit},
                    {"runtime", check.runtime},
                    {"onnx_checker", "passed"}};
    } else {
      const exporter::TorchScriptCheck check = exporter::check_torchscript(out, *network.net, pixels, normalized);
      check_json = {{"images", check.images},
                    {"max_abs_diff", check.max_abs_diff},
                    {"max_abs_logit", check.max_abs_logit},
                    {"runtime", "libtorch"}};
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(out, ignored);  // a file that failed its check is not left for anyone to deploy
    throw;
  }

  json accuracy;
  if (member) {
    accuracy = {{"val_top1", member->val_top1},
                {"test_top1", std::isnan(member->test_top1) ? json(nullptr) : json(member->test_top1)},
                {"latency_ms", std::isnan(member->latency_ms) ? json(nullptr) : json(member->latency_ms)},
                {"source", rundir::kFamily}};
    if (f.bound.device_name) {
      accuracy["latency_device"] = *f.bound.device_name;
      accuracy["latency_source"] = rundir::device_latency_path(".", *f.bound.device_name).lexically_normal().string();
    } else if (f.bound.latency_table || f.bound.predicted_latency) {
      // A latency predicted by a table, not measured.
      accuracy["latency_source"] = latency_source(f.bound, run.dir);
      accuracy["latency_predicted"] = true;
    }
  } else {
    // Not a family member: measure it now on the same images as the family stage.
    const auto val = train::evaluate(*network.net, pipeline::first_images(splits.val, run.config.family.val_images), 500,
                                     network.mean, network.std, torch::kCPU);
    const auto test = train::evaluate(*network.net, pipeline::first_images(splits.test, run.config.family.test_images), 500,
                                      network.mean, network.std, torch::kCPU);
    accuracy = {{"val_top1", val.top1}, {"test_top1", test.top1}, {"latency_ms", nullptr}, {"source", "measured at export"}};
  }
  const int64_t c = network.channels, r = network.resolution;
  json sidecar = {{"format", f.format},
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
                  {"check", check_json}};
  if (onnx) {
    sidecar["onnx"] = {{"opset", exporter::kOnnxOpset}, {"input_name", "input"}, {"output_name", "logits"},
                       {"dynamic_axes", {{"input", {{"0", "N"}}}, {"logits", {{"0", "N"}}}}}};
  }
  fs::path sidecar_path = out;
  sidecar_path.replace_extension(".json");
  write_json_file(sidecar_path, sidecar);
  SNAS_LOG(INFO) << "exported " << arch.to_string() << " (" << network.macs / 1e6 << "M MACs) to " << out.string()
                 << "; sidecar " << sidecar_path.string();
  json result = {{"model", out.string()}, {"sidecar", sidecar_path.string()}, {"arch", space::to_json(arch)},
                 {"macs", network.macs}, {"params", network.params}, {"accuracy", accuracy},
                 {"max_abs_diff", check_json["max_abs_diff"]}};
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto [cmd, f] = add_command<ExportFlags>(app, "export",
                                           "Write one network of a finished run as a standalone TorchScript "
                                           "or ONNX file (+ JSON sidecar)",
                                           run_export);
  add_run_dir_option(*cmd, f->run);
  cmd->add_option("--arch", f->arch, "architecture: JSON, max or min (or give a bound instead)");
  add_bound_flags(*cmd, f->bound);
  cmd->add_option("--format", f->format, "torchscript or onnx (opset " + std::to_string(exporter::kOnnxOpset) +
                                           ", dynamic batch, checked with OpenCV DNN)")
      ->capture_default_str();
  cmd->add_option("--out", f->out, "output file, e.g. model.pt or model.onnx (the sidecar goes to model.json)")
      ->required();
  add_json_flag(*cmd, f->json, /*pretty=*/true);
}

}  // namespace sparsenas::cli
