#include "sparsenas/pipeline/check_selection.h"

#include <torch/torch.h>

#include <set>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/cpu_threads.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/pipeline/subnet_evaluator.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

void CheckSelectionOptions::validate() const {
  SNAS_CHECK(split == "test" || split == "val", "--split must be test or val, got \"", split, "\"");
  SNAS_CHECK(images >= 0, "--images must be >= 0 (0 = the run's family setting), got ", images);
  SNAS_CHECK(bootstrap_resamples >= 0 && bootstrap_resamples <= 1000000, "--bootstrap must be in [0, 1000000], got ",
             bootstrap_resamples);
  SNAS_CHECK(max_draws_per_interval >= 1, "max_draws_per_interval must be >= 1, got ", max_draws_per_interval);
}

namespace {

json interval_json(const CheckSelectionResult::IntervalInfo& i) {
  return {{"index", i.index}, {"min_macs", i.min_macs}, {"max_macs", i.max_macs}, {"networks", i.networks},
          {"random_draws", i.draws}};
}

json ci_json(const report::Interval& ci) {
  return std::isfinite(ci[0]) ? json::array({ci[0], ci[1]}) : json(nullptr);
}

// The keys where two space specs differ, with both values, for the error message.
std::string spec_difference(const json& a, const json& b) {
  std::string out;
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key) || b.at(key) != value) {
      out += (out.empty() ? "" : "; ") + key + " " + value.dump() + " vs " + (b.contains(key) ? b.at(key).dump() : "absent");
    }
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) out += (out.empty() ? "" : "; ") + key + " absent vs " + value.dump();
  }
  return out;
}

}  // namespace

json to_json(const CheckSelectionResult& r) {
  json intervals = json::array();
  for (size_t k = 0; k < r.intervals.size(); ++k) {
    json j = interval_json(r.intervals[k]);
    const auto& s = r.stats.intervals[k];
    j["selected_mean_top1"] = s.selected_mean;
    j["random_mean_top1"] = s.random_mean;
    j["difference"] = {{"value", s.difference}, {"ci95", ci_json(s.ci95)}};
    intervals.push_back(j);
  }
  json skipped = json::array();
  for (const auto& i : r.skipped) skipped.push_back(interval_json(i));
  json networks = json::array();
  for (const auto& n : r.networks) {
    networks.push_back({{"arch", space::to_json(n.arch)}, {"interval", n.interval}, {"macs", n.macs},
                        {"selected", n.selected}, {"top1", n.top1}});
  }
  return {{"sparse_run", r.sparse_run.string()},
          {"sparse_method", r.sparse_method},
          {"supernet_run", r.supernet_run.string()},
          {"supernet_method", r.supernet_method},
          {"split", r.split},
          {"images", r.images},
          {"seed", r.seed},
          {"bootstrap_resamples", r.bootstrap_resamples},
          {"ci95_method",
           "percentile bootstrap, each replicate resampling the images (shared by every network) and, within "
           "each interval, the selected and the random networks"},
          {"overall",
           {{"intervals", r.intervals.size()},
            {"selected_mean_top1", r.stats.selected_mean},
            {"random_mean_top1", r.stats.random_mean},
            {"difference", {{"value", r.stats.difference}, {"ci95", ci_json(r.stats.ci95)}}}}},
          {"intervals", intervals},
          {"skipped_intervals", skipped},
          {"networks", networks}};
}

CheckSelectionResult check_selection(const fs::path& sparse_dir, const fs::path& supernet_dir,
                                     const CheckSelectionOptions& options) {
  options.validate();
  // Everything that can be refused is checked before anything is loaded or written.
  const rundir::RunDir sparse_run = rundir::open_run(sparse_dir, "--run");
  const rundir::RunDir super_run = rundir::open_run(supernet_dir, "--on");
  SNAS_CHECK(sparse_run.has(rundir::kSparseSpace), "--run ", sparse_dir,
             ": no sparse_space.json (the run has not built its sparse space; finish it with its `sparsenas run` "
             "command)");
  const std::string super_method = super_run.method();
  SNAS_CHECK(super_method == "spos" || super_method == "ofa" || super_method == "ofa-import", "--on ", supernet_dir,
             ": method ", super_method, " trains its supernet on a sub-space; give an spos, ofa or ofa-import run (a ",
             "supernet trained on the whole space)");
  SNAS_CHECK(super_run.has(rundir::kSupernet), "--on ", supernet_dir,
             ": no supernet.pt (the run has not finished training; finish it with its `sparsenas run` command)");
  const search::SparseSpace sparse = sparse_run.sparse_space();
  const fs::path checkpoint = super_run.file(rundir::kSupernet);
  const train::CheckpointMeta meta = train::read_checkpoint_meta(checkpoint);
  const json sparse_spec = space::to_json(sparse.space);
  SNAS_CHECK(sparse_spec == meta.space, "--run ", sparse_dir, " and --on ", supernet_dir,
             " use different search spaces (sparse_space.json vs supernet.pt): ", spec_difference(sparse_spec, meta.space));
  const RunConfig config = run_config_of(super_run);
  const fs::path out = options.out.empty() ? sparse_run.file(rundir::kCheckSelection) : options.out;
  SNAS_CHECK(!out.has_parent_path() || fs::is_directory(out.parent_path()), "--out ", out,
             ": its folder does not exist");
  const fs::path partial = out.parent_path() / (out.stem().string() + ".partial.json");

  const space::SearchSpace sp(space::space_spec_from_json(meta.space));
  CheckSelectionResult result;
  result.sparse_run = sparse_dir;
  result.supernet_run = supernet_dir;
  result.json = out;
  result.sparse_method = sparse_run.method();
  result.supernet_method = super_method;
  result.split = options.split;
  result.seed = options.seed;
  result.bootstrap_resamples = options.bootstrap_resamples;

  // Random networks of each interval: uniform draws from the space (as OFA samples), kept when
  // their MACs fall in the interval, distinct, as many as the interval's selected networks.
  SNAS_CHECK(!sparse.config.latency(), "check-selection: the sparse space of ", sparse_dir,
             " was built on a latency grid (sparse_space.constraint latency); check-selection draws random "
             "networks per MACs interval and supports only MACs grids");
  Rng rng(mix_seed(options.seed, 0x4348'4543'4b00ULL));
  std::vector<space::Arch> archs;
  for (const auto& interval : sparse.intervals) {
    CheckSelectionResult::IntervalInfo info{interval.index, interval.min_macs, interval.max_macs,
                                            static_cast<int64_t>(interval.archs.size()), 0};
    std::vector<space::Arch> random;
    std::set<space::Arch> seen;
    while (static_cast<int64_t>(random.size()) < info.networks && info.draws < options.max_draws_per_interval) {
      space::Arch a = sp.sample(rng);
      ++info.draws;
      const int64_t macs = sp.macs_unchecked(a);
      if (macs < interval.min_macs || macs >= interval.max_macs || !seen.insert(a).second) continue;
      random.push_back(std::move(a));
    }
    if (static_cast<int64_t>(random.size()) < info.networks) {
      SNAS_LOG(WARN) << "check-selection: interval " << interval.index << " [" << interval.min_macs << ", "
                     << interval.max_macs << ") MACs: " << random.size() << " of " << info.networks
                     << " random networks in " << info.draws << " draws; leaving it out";
      result.skipped.push_back(info);
      continue;
    }
    for (const auto& a : interval.archs) {
      archs.push_back(a.arch);
      result.networks.push_back({a.arch, interval.index, sp.macs(a.arch), true, 0});
    }
    for (const auto& a : random) {
      archs.push_back(a);
      result.networks.push_back({a, interval.index, sp.macs(a), false, 0});
    }
    result.intervals.push_back(info);
  }
  SNAS_CHECK(!result.intervals.empty(), "check-selection: no interval of ", sparse_dir,
             "'s sparse space had random networks within ", options.max_draws_per_interval, " draws");

  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(config.supernet)));
  const torch::Device device(config.device);
  const data::Splits d = data::load_splits(config.data);
  const data::Dataset& pool = options.split == "test" ? d.test : d.val;
  const int64_t count =
      options.images > 0 ? options.images
                         : (options.split == "test" ? config.family.test_images : config.family.val_images);
  const data::Dataset images = first_images(pool, count);
  SNAS_CHECK(images.size() > 0, "--on ", supernet_dir, ": its ", options.split, " split is empty");
  result.images = images.size();
  nn::Supernet net(sp, nn::SupernetOptions{kernel_transform(config)});
  train::load_checkpoint(checkpoint, *net, nullptr, /*restore_rng=*/false);
  net->to(device);
  if (config.supernet.channels_last) nn::to_channels_last(*net);
  net->eval();
  SubnetEvaluator evaluator(*net, train::bn_recalibration_subset(d.train, config.family.bn_recal_images), d.mean,
                            d.std, config.supernet.bn_recal_batch, config.supernet.eval_batch, device);

  // The partial file: per-image correctness of the networks evaluated so far. Its fingerprint
  // also covers the supernet and the seed, so a rerun with other inputs starts over.
  rundir::ImageCorrectness done;
  rundir::SplitIdentity id = split_identity(images);
  id.fingerprint = hash_string(id.fingerprint + hash_file(checkpoint) + std::to_string(options.seed));
  done.splits = {{options.split, id}};
  ResumableLoop loop;
  loop.label = "check-selection";
  loop.total = archs.size();
  loop.done = resume_rows(
      partial, "check-selection",
      [&] {
        rundir::ImageCorrectness saved = rundir::read_image_correctness(partial);
        if (saved.splits != done.splits) return size_t{0};
        done.networks = std::move(saved.networks);
        return done.networks.size();
      },
      [&](size_t i) { return i < archs.size() && done.networks[i].arch == archs[i]; },
      [&] { done.networks.clear(); });
  // Data-parallel: the networks are divided among the ranks (run_loop); rank 0 alone writes.
  loop.measure = [&](size_t i) {
    evaluator.recalibrate(archs[i]);
    const train::EvalResult r = evaluator.evaluate(archs[i], images);
    return std::vector<double>(r.correct.begin(), r.correct.end());
  };
  loop.record = [&](size_t i, const std::vector<double>& bits) {
    done.networks.push_back({archs[i], {{options.split, std::vector<uint8_t>(bits.begin(), bits.end())}}});
  };
  loop.save = [&] { rundir::write_image_correctness(partial, done); };
  run_loop(loop);

  std::vector<report::SelectionInterval> groups(result.intervals.size());
  size_t k = 0;
  for (size_t i = 0; i < result.networks.size(); ++i) {
    while (result.intervals[k].index != result.networks[i].interval) ++k;
    const std::vector<uint8_t>& bits = done.bits(i, options.split);
    double hits = 0;
    for (uint8_t b : bits) hits += b;
    result.networks[i].top1 = hits / static_cast<double>(bits.size());
    (result.networks[i].selected ? groups[k].selected : groups[k].random).push_back(bits);
  }
  result.stats = report::selection_difference(groups, options.bootstrap_resamples, options.seed);
  if (dist::is_main()) {
    write_json_file(out, to_json(result));
    fs::remove(partial);
  }
  return result;
}

}  // namespace sparsenas::pipeline
