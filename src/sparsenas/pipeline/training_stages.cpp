// The training stages of `sparsenas run`: teacher, proxy, sparse supernet (and SPOS), and the
// phases of the OFA and CompOFA baselines. Each trains in `<stage>/` (checkpoint, history.json)
// and copies the final checkpoint to its artifact.

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/random.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/pipeline/methods.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/pipeline/teacher_source.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Copies `from` to `to` atomically (temp file, rename).
void copy_atomic(const fs::path& from, const fs::path& to) {
  const fs::path tmp = to.string() + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

// Trains stage `name` with `section` in `<name>/`, resuming from its checkpoint, and copies the
// result to `final_file`. `init` sets the start weights of a fresh start.
//
// Data-parallel (several ranks, every one runs this): one train::train call on every rank (the
// trainer shards each global batch and all-reduces the gradients); every rank sees the same
// checkpoint (rank 0 removed a stale one before the stage engine's barrier, and writes a new one
// only once every rank has passed the trainer's start-up checks), so all start or resume alike;
// rank 0 alone writes the checkpoint, history and artifact.
void train_stage(RunContext& ctx, StageRecord& rec, const std::string& name, const train::TrainConfig& section,
                 const train::ArchSampler& sampler, const std::vector<space::Arch>& val_archs,
                 const std::function<void(nn::SupernetImpl&)>& init, std::optional<train::Teacher> teacher,
                 const std::string& final_file) {
  const fs::path stage_dir = ctx.path(name);
  const fs::path checkpoint = stage_dir / rundir::kCheckpointFile;
  const bool writer = dist::is_main();
  if (writer) fs::create_directories(stage_dir);
  const bool resume = fs::exists(checkpoint);
  // The initial weights (and the dropout masks that follow) come from LibTorch's default
  // generator: seed it per stage so that a run is reproducible.
  torch::manual_seed(mix_seed(section.seed, std::stoull(hash_string(name), nullptr, 16)));
  nn::Supernet net = ctx.make_supernet();
  if (resume) {
    SNAS_LOG(INFO) << name << ": continuing from " << checkpoint.string();
  } else if (init) {
    init(*net);
  }
  train::TrainSetup setup;
  setup.teacher = std::move(teacher);
  setup.val_archs = val_archs;
  setup.checkpoint = checkpoint;
  setup.resume = resume;
  setup.augment = ctx.config().data.augment;
  const train::TrainResult result = train::train(section, *net, sampler, ctx.splits(), setup);
  json history = json::array();
  for (const auto& e : result.state.history) history.push_back(e);
  if (writer) write_json_file(stage_dir / rundir::kHistoryFile, history);
  const auto& counters = result.state.counters;
  rec.subnet_passes = counters.subnet_passes;
  rec.teacher_passes = counters.teacher_passes;
  rec.images_seen = counters.images_seen;
  rec.epochs = section.epochs;
  rec.n_sub = section.n_sub;
  rec.wall_seconds = std::max(rec.wall_seconds, counters.wall_seconds);
  // The ranks agree on a stop (the trainer), though only one may have been asked.
  if (result.interrupted) {
    throw Interrupted("interrupted during " + name + " training (checkpoint saved); rerun the same command to continue");
  }
  if (writer) copy_atomic(checkpoint, ctx.path(final_file));
  double ips = 0;
  for (const auto& e : result.state.history) ips += e.images_per_second;
  rec.metrics = {{"images_per_second", result.state.history.empty() ? 0.0 : ips / result.state.history.size()}};
  if (!result.state.history.empty() && result.state.history.back().val_top1) {
    rec.metrics["val_top1"] = *result.state.history.back().val_top1;
  }
}

}  // namespace

void run_teacher(RunContext& ctx, StageRecord& rec) {
  if (!ctx.config().teacher_stage.from.empty()) {
    // Reused: checked by run_pipeline before anything was written; copied, not trained (costs
    // nothing here; the record says where it came from and what it cost there).
    const TeacherSource source = resolve_teacher_source(ctx.config().teacher_stage.from);
    if (dist::is_main()) copy_atomic(source.file, ctx.path(rundir::kTeacher));
    rec.metrics = teacher_source_metrics(source);
    SNAS_LOG(INFO) << "teacher: reused " << source.file.string() << " (hash " << source.hash << ", not trained)";
    return;
  }
  const space::Arch max = ctx.space().max_arch();
  train::FixedSampler sampler(max);
  train_stage(ctx, rec, "teacher", ctx.config().teacher, sampler, {max}, {}, std::nullopt, rundir::kTeacher);
}

void run_proxy(RunContext& ctx, StageRecord& rec) {
  train::UniformSampler sampler(ctx.space());
  train_stage(ctx, rec, "proxy", ctx.config().proxy, sampler, {ctx.space().max_arch(), ctx.space().min_arch()}, {},
              std::nullopt, rundir::kProxy);
}

void run_supernet(RunContext& ctx, StageRecord& rec, bool whole_space) {
  const RunConfig& config = ctx.config();
  std::unique_ptr<train::ArchSampler> sampler;
  std::vector<space::Arch> val;
  std::optional<int64_t> networks;
  const int64_t k = config.supernet_stage.val_networks;
  if (whole_space) {  // spos
    sampler = std::make_unique<train::UniformSampler>(ctx.space());
    for (const space::Arch& a : {ctx.space().max_arch(), ctx.space().min_arch()}) {
      if (static_cast<int64_t>(val.size()) < k) val.push_back(a);
    }
  } else {
    const search::SparseSpace sparse = search::read_sparse_space(ctx.path(rundir::kSparseSpace));
    const std::vector<space::Arch> archs = sparse.archs();
    SNAS_CHECK(!archs.empty(), "the sparse space in ", ctx.path(rundir::kSparseSpace), " has no networks");
    sampler = std::make_unique<train::ListSampler>(archs);
    // Validate a few networks spread over the MACs range (first, last, evenly in between).
    const int64_t n = std::min<int64_t>(k, static_cast<int64_t>(sparse.intervals.size()));
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = n == 1 ? 0 : static_cast<size_t>(i * (sparse.intervals.size() - 1) / (n - 1));
      val.push_back(sparse.intervals[at].archs.front().arch);
    }
    networks = static_cast<int64_t>(archs.size());
  }
  const bool from_teacher = config.supernet_stage.init == "teacher";
  const fs::path init_from = ctx.path(from_teacher ? rundir::kTeacher : rundir::kProxy);
  SNAS_CHECK(from_teacher || method_has_stage(config.method, "proxy"),
             "supernet_stage.init \"proxy\" needs method sparsenas (only it trains a proxy), got method ",
             config.method);
  auto init = [&](nn::SupernetImpl& net) {
    train::load_checkpoint(init_from, net, nullptr, /*restore_rng=*/false);
    if (config.supernet_stage.resort_channels) net.reorganize_channels(0);
    SNAS_LOG(INFO) << "supernet: initialised from " << init_from.string()
                   << (config.supernet_stage.resort_channels ? ", channels re-sorted" : "");
  };
  train_stage(ctx, rec, "supernet", config.supernet, *sampler, val, init, ctx.load_teacher(config.supernet),
              rundir::kSupernet);
  if (networks) rec.metrics["networks"] = *networks;
}

void run_phase(RunContext& ctx, StageRecord& rec, const std::string& name, const train::TrainConfig& section,
               const space::SearchSpace& sampled, const std::string& init_file, int resort_stage,
               const std::string& output) {
  train::UniformSampler sampler(sampled);
  auto init = [&](nn::SupernetImpl& net) {
    train::load_checkpoint(ctx.path(init_file), net, nullptr, /*restore_rng=*/false);
    if (resort_stage >= 0) net.reorganize_channels(resort_stage);
    SNAS_LOG(INFO) << name << ": initialised from " << init_file
                   << (resort_stage >= 0 ? ", channels re-sorted (stage " + std::to_string(resort_stage) + ")" : "");
  };
  const std::vector<space::Arch> val = {ctx.space().canonical(sampled.max_arch()),
                                        ctx.space().canonical(sampled.min_arch())};
  train_stage(ctx, rec, name, section, sampler, val, init, ctx.load_teacher(section), output);
}

}  // namespace sparsenas::pipeline
