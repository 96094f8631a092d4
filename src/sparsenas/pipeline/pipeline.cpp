#include "sparsenas/pipeline/pipeline.h"

#include <algorithm>

#include <torch/torch.h>

#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/methods.h"
#include "sparsenas/pipeline/run_context.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/pipeline/teacher_source.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/rundir/stage_engine.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using rundir::Manifest;

RunSummary run_pipeline(const RunConfig& config, const fs::path& dir, const std::string& stop_after) {
  const std::vector<std::string> names = stage_names(config.method);
  if (!stop_after.empty() && std::find(names.begin(), names.end(), stop_after) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    SNAS_FAIL("--stop-after must be a stage of method \"", config.method, "\" (", list, "), got \"", stop_after,
              "\"");
  }
  config.validate();
  // Refuse what is not a run directory before writing anything.
  const fs::path manifest_path = dir / rundir::kManifest;
  if (fs::exists(dir)) {
    SNAS_CHECK(fs::is_directory(dir), "--out ", dir, " exists and is not a directory");
    const bool empty = fs::directory_iterator(dir) == fs::directory_iterator();
    SNAS_CHECK(empty || fs::exists(manifest_path), "--out ", dir,
               " exists, is not empty and has no manifest.json: it is not a sparsenas run directory "
               "(choose another --out)");
  }
  Manifest manifest = Manifest::read(manifest_path);
  if (!manifest.stages.empty() && manifest.method != config.method) {
    SNAS_FAIL("--out ", dir, " holds a run of method \"", manifest.method, "\", not \"", config.method,
              "\" (choose another --out)");
  }
  manifest.method = config.method;
  // Load the data and build the space before writing anything: a dataset with one class, no
  // images or a corrupt file fails here and leaves the directory as it was.
  RunContext ctx(config, dir);
  ctx.space();
  // A reused teacher (teacher_stage.from) that does not fit the run is refused here as well.
  if (!config.teacher_stage.from.empty()) {
    check_teacher_source(resolve_teacher_source(config.teacher_stage.from), ctx);
  }
  // So is an OFA checkpoint (method ofa-import) that does not load into the space, until it is imported.
  if (!config.import_ofa.checkpoint.empty()) {
    const rundir::StageRecord* imported = manifest.find("import");
    if (imported == nullptr || imported->status != "done") load_ofa_import(ctx);
  }
  // So is a latency table (sparse_space.constraint "latency") that is missing, corrupt or made
  // for another space or shape.
  ctx.latency();
  // Data-parallel (several ranks): every rank runs the same stages over the same manifest, read
  // above before any rank writes (this check waits for all); rank 0 alone writes (see
  // rundir::Processes and MethodStage::every_rank).
  const bool writer = dist::is_main();
  dist::check_same("the run config (hash; every rank must run the same command)", hash_string(to_json(config).dump()));
  dist::check_same("the run directory's manifest.json (hash; every rank must see the same --out)",
                   fs::exists(manifest_path) ? hash_file(manifest_path) : std::string("none"));
  if (writer) {
    fs::create_directories(dir);
    write_json_file(dir / rundir::kConfig, to_json(config));
  }
  nn::configure_cpu_threads(ctx.threads());

  std::vector<rundir::Stage> stages;
  for (const MethodStage& m : method_stages(config.method)) {
    const bool runs_here = writer || m.every_rank;
    stages.push_back({m.name, m.config(config), m.inputs, m.outputs, m.scratch,
                      [&ctx, body = m.body, runs_here](rundir::StageRecord& rec, bool) {
                        if (runs_here) body(ctx, rec);
                      }});
    if (m.name == stop_after) break;
  }
  rundir::Processes processes;
  processes.writer = writer;
  if (dist::is_distributed()) {
    processes.barrier = [] { dist::barrier(); };
    processes.writers_choice = [](bool mine) { return dist::all_gather(mine ? 1.0 : 0.0).front() != 0.0; };
  }
  const rundir::StagesSummary done = rundir::run_stages(
      dir, manifest, shared_settings(config).dump(), stages,
      [&ctx](const std::string& name) {
        // A stop request on any rank stops every rank before the same stage.
        if (dist::any_rank(train::stop_requested())) {
          throw Interrupted("interrupted during stage " + name + "; rerun the same command to continue");
        }
      },
      processes);
  RunSummary summary;
  summary.dir = dir;
  summary.ran = done.ran;
  summary.skipped = done.skipped;
  summary.report = dir / rundir::kReport;
  if (!stop_after.empty() && stop_after != names.back()) summary.stopped_after = stop_after;
  return summary;
}

RunConfig run_config_of(const rundir::RunDir& run) {
  try {
    return run_config_from_json(run.config());
  } catch (const Error& e) {
    SNAS_FAIL("--run ", run.path(), ": corrupt config.json: ", e.what());
  }
}

RunInfo read_run(const fs::path& dir, bool require_family) {
  const rundir::RunDir run = rundir::open_run(dir);
  const RunConfig config = run_config_of(run);
  if (require_family) {
    run.require({rundir::kSupernet, rundir::kFamily});
  } else {
    run.require({rundir::kSupernet});
  }
  const train::CheckpointMeta meta = train::read_checkpoint_meta(run.file(rundir::kSupernet));
  return RunInfo{dir, config, space::SearchSpace(space::space_spec_from_json(meta.space))};
}

DeployableNetwork load_network(const RunInfo& run, const space::Arch& arch_in) {
  const space::SearchSpace& sp = run.space;
  sp.validate(arch_in);
  const space::Arch arch = sp.canonical(arch_in);
  train::TrainConfig tc = run.config.supernet;
  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(tc)));
  const data::Splits d = data::load_splits(run.config.data);
  nn::Supernet net(sp, nn::SupernetOptions{kernel_transform(run.config)});
  train::load_checkpoint(run.dir / rundir::kSupernet, *net, nullptr, /*restore_rng=*/false);
  net->eval();
  const data::Dataset recal = train::bn_recalibration_subset(d.train, run.config.family.bn_recal_images);
  train::recalibrate_bn(*net, arch, recal, tc.bn_recal_batch, d.mean, d.std, torch::kCPU);
  DeployableNetwork out;
  out.net = net->extract(arch);
  out.net->eval();
  for (auto& p : out.net->parameters()) p.set_data(p.contiguous());
  for (auto& b : out.net->buffers()) b.set_data(b.contiguous());
  out.arch = arch;
  out.macs = sp.macs(arch);
  out.params = sp.params(arch);
  out.mean = d.mean;
  out.std = d.std;
  out.class_names = d.train.class_names;
  out.channels = sp.spec().in_channels;
  out.resolution = sp.spec().resolution;
  return out;
}

}  // namespace sparsenas::pipeline
