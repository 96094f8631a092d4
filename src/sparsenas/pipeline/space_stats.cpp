#include "sparsenas/pipeline/space_stats.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/methods.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/pipeline/subnet_evaluator.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<SpaceStatsRow> space_stats_rows(const std::vector<double>& accuracies,
                                            const std::vector<int64_t>& sizes) {
  std::vector<SpaceStatsRow> rows;
  for (int64_t n : sizes) {
    SNAS_CHECK(n >= 2 && n <= static_cast<int64_t>(accuracies.size()), "space-stats: a sample size must be in [2, ",
               accuracies.size(), "], got ", n);
    SpaceStatsRow r;
    r.n = n;
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += accuracies[i];
    r.mean = sum / n;
    double var = 0;
    for (int64_t i = 0; i < n; ++i) var += (accuracies[i] - r.mean) * (accuracies[i] - r.mean);
    r.std = std::sqrt(var / n);
    for (int64_t i = 0; i < n; ++i) {
      r.high += accuracies[i] > r.mean + r.std;
      r.high2 += accuracies[i] > r.mean + 2 * r.std;
    }
    r.ratio = static_cast<double>(r.high) / n;
    r.ratio2 = static_cast<double>(r.high2) / n;
    rows.push_back(r);
  }
  return rows;
}

json to_json(const SpaceStats& s) {
  json rows = json::array();
  for (const auto& r : s.rows) {
    rows.push_back({{"n_models", r.n},
                    {"acc_mean", r.mean},
                    {"acc_std", r.std},
                    {"n_high_quality", r.high},
                    {"ratio", r.ratio},
                    {"n_above_mean_plus_2std", r.high2},
                    {"ratio_2std", r.ratio2}});
  }
  return {{"supernet", s.supernet}, {"seed", s.seed}, {"val_images", s.val_images}, {"rows", rows},
          {"accuracies", s.accuracies}};
}

namespace {

std::string markdown(const SpaceStats& s) {
  std::ostringstream md;
  md << std::fixed;
  md << "# Search-space statistics (paper Table 1)\n\n";
  md << "Validation top-1 of randomly sampled sub-networks of the "
     << (s.supernet == "proxy" ? "proxy supernet (`proxy_supernet.pt`, uniform sampling over the whole space)"
                               : "sparse supernet (`supernet.pt`)")
     << ", each BN-recalibrated and evaluated on " << s.val_images << " validation images (seed " << s.seed
     << "). Samples are nested: the row for N uses the first N networks. A network is high quality when its "
        "accuracy exceeds mean + std (std over the N networks, divided by N).\n\n";
  md << "| N models | ACC mean (%) | ACC std (%) | N high-qlt | Ratio (%) | N > mean + 2 std | Ratio (%) |\n";
  md << "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : s.rows) {
    md << "| " << r.n << " | " << std::setprecision(2) << r.mean * 100 << " | " << r.std * 100 << " | " << r.high
       << " | " << std::setprecision(1) << r.ratio * 100 << " | " << r.high2 << " | " << r.ratio2 * 100 << " |\n";
  }
  md << "\nPaper (OFA-MobileNetV3 on ImageNet): about 16% of the networks above mean + std, about 1% above "
        "mean + 2 std.\n";
  return md.str();
}

}  // namespace

SpaceStats compute_space_stats(const fs::path& run_dir, const std::string& which, const std::vector<int64_t>& sizes,
                               uint64_t seed) {
  SNAS_CHECK(which == "proxy" || which == "sparse", "--supernet must be proxy or sparse, got \"", which, "\"");
  SNAS_CHECK(!sizes.empty(), "--samples: give at least one sample size");
  const rundir::RunDir run = rundir::open_run(run_dir);
  const RunConfig config = run_config_of(run);
  SNAS_CHECK(which == "sparse" || method_has_stage(config.method, "proxy"), "--run ", run_dir, ": method ", config.method,
             " trains no proxy supernet; use --supernet sparse (its final supernet)");
  const char* artifact = which == "proxy" ? rundir::kProxy : rundir::kSupernet;
  run.require({artifact});
  const fs::path checkpoint = run.file(artifact);
  const int64_t count = *std::max_element(sizes.begin(), sizes.end());
  SNAS_CHECK(*std::min_element(sizes.begin(), sizes.end()) >= 2 && count <= 1000000,
             "--samples: every size must be in [2, 1000000]");

  const train::CheckpointMeta meta = train::read_checkpoint_meta(checkpoint);
  const space::SearchSpace sp(space::space_spec_from_json(meta.space));
  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(config.proxy)));
  const torch::Device device(config.device);
  const data::Splits d = data::load_splits(config.data);
  SNAS_CHECK(d.val.size() > 0, "the run has no validation split (data.val_size 0)");
  nn::Supernet net(sp, nn::SupernetOptions{kernel_transform(config)});
  train::load_checkpoint(checkpoint, *net, nullptr, /*restore_rng=*/false);
  net->to(device);
  if (config.proxy.channels_last) nn::to_channels_last(*net);
  net->eval();
  SubnetEvaluator evaluator(*net, train::bn_recalibration_subset(d.train, config.pairs.bn_recal_images), d.mean,
                            d.std, config.proxy.bn_recal_batch, config.proxy.eval_batch, device);
  const data::Dataset val = first_images(d.val, config.pairs.val_images);
  Rng rng(mix_seed(seed, 0x5354'4154'5300ULL));
  const std::vector<space::Arch> archs = sp.sample_distinct(count, rng);
  SpaceStats stats;
  stats.supernet = which;
  stats.seed = seed;
  stats.val_images = val.size();
  ResumableLoop loop;  // nothing is kept on a stop: a rerun starts over
  loop.label = "space-stats";
  loop.total = archs.size();
  // Data-parallel: the networks are divided among the ranks, each recalibrated and evaluated whole
  // on one rank (run_loop); every rank returns the same stats, rank 0 alone writes them.
  loop.measure = [&](size_t i) {
    evaluator.recalibrate(archs[i]);
    return std::vector<double>{evaluator.top1(archs[i], val)};
  };
  loop.record = [&](size_t, const std::vector<double>& numbers) { stats.accuracies.push_back(numbers.at(0)); };
  run_loop(loop);
  stats.rows = space_stats_rows(stats.accuracies, sizes);
  if (dist::is_main()) {
    write_json_file(run.file(rundir::kSpaceStatsJson), to_json(stats));
    write_file_atomic(run.file(rundir::kSpaceStatsMarkdown), markdown(stats));
  }
  return stats;
}

}  // namespace sparsenas::pipeline
