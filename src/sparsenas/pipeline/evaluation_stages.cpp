// The evaluation stages of `sparsenas run`: architecture-accuracy pairs (stage 3) and the family
// (stage 7), both one resumable loop of SubnetEvaluator calls over a list of networks.

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>

#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/pipeline/subnet_evaluator.h"
#include "sparsenas/predictor/measurement_noise.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/rundir/pairs_noise.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/evaluate.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median wall time of a batch-1 forward of `net`, in milliseconds.
double measure_latency_ms(nn::StaticNetImpl& net, const torch::Tensor& image, int64_t warmup, int64_t repeats) {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < warmup; ++i) net.forward(image);
  std::vector<double> times;
  times.reserve(repeats);
  for (int64_t i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    net.forward(image);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count() * 1e3);
  }
  return median(times);
}

std::string percent(double fraction) { return std::to_string(fraction * 100).substr(0, 5) + "%"; }

}  // namespace

void run_pairs(RunContext& ctx, StageRecord& rec, const std::string& checkpoint, const train::TrainConfig& section) {
  const RunConfig& config = ctx.config();
  const auto& d = ctx.splits();
  SNAS_CHECK(d.val.size() > 0, "the pairs stage needs a validation split: set data.val_size > 0");
  const space::SearchSpace& sp = ctx.space();
  Rng rng(mix_seed(config.pairs.seed, 0x5041'4952'5300ULL));
  const std::vector<space::Arch> archs = sp.sample_distinct(config.pairs.count, rng);
  nn::Supernet net = ctx.load_supernet(ctx.path(checkpoint));
  SubnetEvaluator evaluator(*net, train::bn_recalibration_subset(d.train, config.pairs.bn_recal_images), d.mean,
                            d.std, section.bn_recal_batch, section.eval_batch, ctx.device());
  const data::Dataset val = first_images(d.val, config.pairs.val_images);
  SNAS_CHECK(val.size() >= 2, "the pairs stage needs at least 2 validation images (two halves), got ", val.size());
  // The same images in two halves (even and odd positions): the split-half reliability of the
  // measurement (predictor/measurement_noise.h). Evaluation is per image (BN in eval mode), so the
  // accuracy on all images is the halves' image-weighted mean.
  const data::Dataset halves[2] = {val.subset(torch::arange(0, val.size(), 2)),
                                   val.subset(torch::arange(1, val.size(), 2))};

  const fs::path partial = ctx.path(rundir::kPairsPartial);
  predictor::PairsDataset pairs;
  ResumableLoop loop;
  loop.label = "pairs";
  loop.total = archs.size();
  loop.done = resume_rows(
      partial, "pairs",
      [&] {
        pairs = predictor::PairsDataset::read_csv(partial, &sp);
        return pairs.size();
      },
      [&](size_t i) { return i < archs.size() && pairs.pairs[i].arch == archs[i]; }, [&] { pairs = {}; });
  // Data-parallel: the networks are divided among the ranks (run_loop), each measured whole on one
  // rank (recalibration included, on the same images as in one process) and gathered exactly.
  loop.measure = [&](size_t i) {
    evaluator.recalibrate(archs[i]);
    int64_t correct = 0;
    double loss_sum = 0.0;
    std::vector<double> numbers;  // top-1 of the even and odd halves, top-1, loss
    for (int h = 0; h < 2; ++h) {
      const train::EvalResult r = evaluator.evaluate(archs[i], halves[h]);
      numbers.push_back(r.top1);
      correct += std::llround(r.top1 * static_cast<double>(halves[h].size()));
      loss_sum += r.loss * static_cast<double>(halves[h].size());
    }
    numbers.push_back(static_cast<double>(correct) / static_cast<double>(val.size()));
    numbers.push_back(loss_sum / static_cast<double>(val.size()));
    return numbers;
  };
  loop.record = [&](size_t i, const std::vector<double>& numbers) {
    SNAS_INTERNAL_ASSERT(numbers.size() == 4, "pairs: a measurement has ", numbers.size(), " numbers, not 4");
    predictor::ArchAccuracyPair pair{archs[i], sp.macs(archs[i]), sp.params(archs[i])};
    pair.val_top1_even = numbers[0];
    pair.val_top1_odd = numbers[1];
    pair.val_top1 = numbers[2];
    pair.val_loss = numbers[3];
    pairs.pairs.push_back(pair);
  };
  loop.save = [&] { pairs.write_csv(partial); };
  loop.note = [&] { return "top-1 " + percent(pairs.pairs.back().val_top1); };
  run_loop(loop);
  const bool writer = dist::is_main();  // rank 0 alone writes the run directory
  if (writer) {
    pairs.write_csv(ctx.path(rundir::kPairs));
    fs::remove(partial);
  }

  const std::vector<double> acc = pairs.accuracies();
  const double mean = std::accumulate(acc.begin(), acc.end(), 0.0) / acc.size();
  double var = 0;
  for (double a : acc) var += (a - mean) * (a - mean);
  // The noise of the measurement beside the spread, over the pairs measured on both halves (all,
  // unless a partial file of an older version was continued).
  std::vector<double> even, odd;
  for (const auto& p : pairs.pairs) {
    if (std::isfinite(p.val_top1_even) && std::isfinite(p.val_top1_odd)) {
      even.push_back(p.val_top1_even);
      odd.push_back(p.val_top1_odd);
    }
  }
  const predictor::MeasurementNoise noise =
      predictor::measurement_noise(even, odd, halves[0].size(), halves[1].size());
  if (writer) rundir::write_pairs_noise(ctx.path(rundir::kPairsNoise), noise);

  rec.eval_images = static_cast<int64_t>(archs.size()) * (evaluator.recal_images() + val.size());
  rec.metrics = {{"count", static_cast<int64_t>(pairs.size())},
                 {"mean_val_top1", mean},
                 {"std_val_top1", std::sqrt(var / acc.size())},
                 {"val_images", val.size()},
                 {"bn_recal_images", evaluator.recal_images()},
                 {"split_half_r", std::isfinite(noise.split_half_r) ? nlohmann::json(noise.split_half_r) : nlohmann::json(nullptr)},
                 {"noise_se", std::isfinite(noise.noise_se) ? nlohmann::json(noise.noise_se) : nlohmann::json(nullptr)}};
  SNAS_LOG(INFO) << "pairs: " << pairs.size() << " networks, mean top-1 " << mean * 100 << "%, spread (std) "
                 << noise.spread * 100 << " points, noise of one measurement " << noise.noise_se * 100
                 << " points (split-half r " << noise.split_half_r << ", binomial " << noise.binomial_se * 100
                 << ")";
  if (noise.noisy() && writer) {
    SNAS_LOG(WARN) << "pairs: the noise of one measurement (" << noise.noise_se * 100
                   << " points) exceeds half the pairs' spread (" << noise.spread * 100
                   << " points): the early predictor is fit mostly to noise; evaluate more images "
                      "(pairs.val_images, data.val_size)";
  }
}

search::FitnessFn measure_on(RunContext& ctx, const std::string& checkpoint, const train::TrainConfig& section,
                             std::function<void()> after_each) {
  const RunConfig& config = ctx.config();
  const auto& d = ctx.splits();
  SNAS_CHECK(d.val.size() > 0, "re-ranking the sparse space needs a validation split: set data.val_size > 0");
  // What the returned function keeps alive: the supernet and its evaluator.
  struct State {
    nn::Supernet net{nullptr};
    std::unique_ptr<SubnetEvaluator> evaluator;
    data::Dataset val;
  };
  auto state = std::make_shared<State>();
  state->net = ctx.load_supernet(ctx.path(checkpoint));
  state->evaluator = std::make_unique<SubnetEvaluator>(
      *state->net, train::bn_recalibration_subset(d.train, config.pairs.bn_recal_images), d.mean, d.std,
      section.bn_recal_batch, section.eval_batch, ctx.device());
  state->val = first_images(d.val, config.pairs.val_images);
  return [state, after_each = std::move(after_each)](const std::vector<space::Arch>& archs) {
    std::vector<double> top1;
    for (const space::Arch& arch : archs) {
      state->evaluator->recalibrate(arch);
      top1.push_back(state->evaluator->top1(arch, state->val));
      if (after_each) after_each();
    }
    return top1;
  };
}

void run_family(RunContext& ctx, StageRecord& rec) {
  const RunConfig& config = ctx.config();
  const auto& d = ctx.splits();
  const space::SearchSpace& sp = ctx.space();
  const search::SparseSpace sparse = search::read_sparse_space(ctx.path(rundir::kSparseSpace));
  const std::vector<space::Arch> archs = sparse.archs();
  // A sparse space on a latency grid: each network's predicted latency, kept as family.csv's
  // predicted_ms column (in network order, as archs()).
  std::vector<double> predicted_ms;
  if (sparse.config.latency()) {
    for (const search::SparseInterval& interval : sparse.intervals) {
      for (const search::SparseArch& a : interval.archs) predicted_ms.push_back(static_cast<double>(a.latency_us) / 1000.0);
    }
  }
  nn::Supernet net = ctx.load_supernet(ctx.path(rundir::kSupernet));
  SubnetEvaluator evaluator(*net, train::bn_recalibration_subset(d.train, config.family.bn_recal_images), d.mean,
                            d.std, config.supernet.bn_recal_batch, config.supernet.eval_batch, ctx.device());
  const data::Dataset val = first_images(d.val, config.family.val_images);
  const data::Dataset test = first_images(d.test, config.family.test_images);
  SNAS_CHECK(val.size() > 0, "the family stage needs a validation split: set data.val_size > 0");
  // One normalised image for the latency measurement, in the layout the network was trained in.
  torch::Tensor image = data::to_float_normalized(val.images.slice(0, 0, 1), d.mean, d.std).to(ctx.device());
  if (config.supernet.channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);

  const fs::path partial = ctx.path(rundir::kFamilyPartial);
  const fs::path correct_partial = ctx.path(rundir::kFamilyCorrectPartial);
  std::vector<search::FamilyRow> rows;
  // Per-image correctness beside the rows (compare's paired bootstrap over test images).
  rundir::ImageCorrectness correct;
  correct.splits = {{"test", split_identity(test)}, {"val", split_identity(val)}};
  const auto clear = [&] {
    rows.clear();
    correct.networks.clear();
  };
  ResumableLoop loop;
  loop.label = "family";
  loop.total = archs.size();
  loop.done = resume_rows(
      partial, "family",
      [&] {
        rows = search::FamilyTable::read_csv(partial).rows();
        // Keep the rows that also have their correctness on the same images (none when the
        // partial correctness file is missing or was made on other images).
        size_t kept = 0;
        if (fs::exists(correct_partial)) {
          rundir::ImageCorrectness saved = rundir::read_image_correctness(correct_partial);
          if (saved.splits == correct.splits) {
            correct.networks = std::move(saved.networks);
            kept = std::min(rows.size(), correct.networks.size());
          }
        }
        rows.resize(kept);
        correct.networks.resize(kept);
        return kept;
      },
      [&](size_t i) {
        return i < archs.size() && sp.canonical(rows[i].arch) == archs[i] && correct.networks[i].arch == archs[i];
      },
      clear);
  // Data-parallel: the networks are divided among the ranks (run_loop), each measured whole on one
  // rank (recalibration included, on the same images as in one process) and gathered exactly. The
  // latencies are then measured by rank 0 alone, one network at a time, while the others wait: a
  // latency taken beside the other ranks' work would depend on how many ranks ran.
  const size_t n_val = static_cast<size_t>(val.size()), n_test = static_cast<size_t>(test.size());
  loop.measure = [&](size_t i) {
    const space::Arch& arch = archs[i];
    evaluator.recalibrate(arch);
    std::vector<double> numbers(3 + n_val + n_test);  // val top-1, test top-1, latency, val bits, test bits
    const train::EvalResult v = evaluator.evaluate(arch, val);
    numbers[0] = v.top1;
    std::copy(v.correct.begin(), v.correct.end(), numbers.begin() + 3);
    numbers[1] = std::nan("");
    if (n_test > 0) {
      const train::EvalResult t = evaluator.evaluate(arch, test);
      numbers[1] = t.top1;
      std::copy(t.correct.begin(), t.correct.end(), numbers.begin() + 3 + n_val);
    }
    numbers[2] = std::nan("");
    if (config.family.latency_repeats > 0 && !dist::is_distributed()) {
      auto static_net = net->extract(arch);
      static_net->eval();
      numbers[2] = measure_latency_ms(*static_net, image, config.family.latency_warmup, config.family.latency_repeats);
    }
    return numbers;
  };
  loop.record = [&](size_t i, const std::vector<double>& numbers) {
    SNAS_INTERNAL_ASSERT(numbers.size() == 3 + n_val + n_test, "family: a measurement has ", numbers.size(),
                         " numbers, not ", 3 + n_val + n_test);
    const space::Arch& arch = archs[i];
    search::FamilyRow row;
    row.arch = arch;
    row.macs = sp.macs(arch);
    row.params = sp.params(arch);
    if (!predicted_ms.empty()) row.predicted_ms = predicted_ms[i];
    row.val_top1 = numbers[0];
    row.test_top1 = numbers[1];
    if (config.family.latency_repeats > 0) row.latency_ms = numbers[2];
    rundir::NetworkCorrectness bits;
    bits.arch = arch;
    bits.correct["val"].assign(numbers.begin() + 3, numbers.begin() + 3 + n_val);
    bits.correct["test"].assign(numbers.begin() + 3 + n_val, numbers.end());
    rows.push_back(row);
    correct.networks.push_back(std::move(bits));
  };
  loop.save = [&] {
    rundir::write_image_correctness(correct_partial, correct);
    search::FamilyTable(rows).write_csv(partial);
  };
  loop.note = [&] { return "val " + percent(rows.back().val_top1); };
  run_loop(loop);
  // Rank 0 alone measures the latencies left (several ranks, or rows resumed from such a run),
  // writes the run directory and evaluates the teacher (the record is its).
  if (!dist::is_main()) return;
  if (config.family.latency_repeats > 0) {
    const auto left = std::count_if(rows.begin(), rows.end(), [](const auto& r) { return std::isnan(r.latency_ms); });
    Progress progress("family latency", left, "net");
    for (auto& r : rows) {
      if (!std::isnan(r.latency_ms)) continue;
      auto static_net = net->extract(r.arch);
      static_net->eval();
      r.latency_ms = measure_latency_ms(*static_net, image, config.family.latency_warmup, config.family.latency_repeats);
      progress.step(1);
    }
    progress.finish();
  }
  rundir::write_image_correctness(ctx.path(rundir::kFamilyCorrect), correct);
  search::FamilyTable(rows).write_csv(ctx.path(rundir::kFamily));
  fs::remove(correct_partial);
  fs::remove(partial);

  // The teacher on the same images, for the report (Table 7). It keeps its own BN statistics (it
  // was trained alone), so its evaluator has no recalibration set.
  nn::Supernet teacher = ctx.load_supernet(ctx.path(rundir::kTeacher));  // same options as the run
  SubnetEvaluator teacher_eval(*teacher, data::Dataset{}, d.mean, d.std, config.supernet.bn_recal_batch,
                               config.supernet.eval_batch, ctx.device());
  const space::Arch max = sp.max_arch();
  const double teacher_val = teacher_eval.top1(max, val);
  const double teacher_test = test.size() > 0 ? teacher_eval.top1(max, test) : std::nan("");
  double best_val = -1, best_test = std::nan("");
  for (const auto& r : rows) {
    if (r.val_top1 > best_val) {
      best_val = r.val_top1;
      best_test = r.test_top1;
    }
  }
  rec.eval_images = static_cast<int64_t>(archs.size()) * (evaluator.recal_images() + val.size() + test.size());
  rec.metrics = {{"networks", static_cast<int64_t>(rows.size())},
                 {"best_val_top1", best_val},
                 {"best_test_top1", best_test},
                 {"teacher_val_top1", teacher_val},
                 {"teacher_test_top1", teacher_test},
                 {"val_images", val.size()},
                 {"test_images", test.size()},
                 {"latency_repeats", config.family.latency_repeats},
                 {"latency_threads", train::resolved_threads(config.supernet)}};
  SNAS_LOG(INFO) << "family: " << rows.size() << " networks; best by validation: val " << best_val * 100
                 << "%, test " << best_test * 100 << "% (teacher: test " << teacher_test * 100 << "%)";
}

}  // namespace sparsenas::pipeline
