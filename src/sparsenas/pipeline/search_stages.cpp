// The stages of `sparsenas run` that fit predictors, search or list networks, and report: no
// training, no evaluation of networks.

#include <chrono>
#include <memory>

#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/pipeline/predictor_stage.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/predictor/predictor.h"
#include "sparsenas/report/report.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/builtin_spaces.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;

namespace {

nlohmann::json list_metrics(const search::SparseSpace& list) {
  return {{"networks", list.size()},
          {"intervals", static_cast<int64_t>(list.intervals.size())},
          {"unreachable", static_cast<int64_t>(list.unreachable.size())}};
}

}  // namespace

void run_predictor(RunContext& ctx, StageRecord& rec) {
  const auto pairs = predictor::PairsDataset::read_csv(ctx.path(rundir::kPairs), &ctx.space());
  // Ranking objectives rank within the sparse space's MACs intervals (below and above the range:
  // one group each). A sparse space on a latency grid: within the default MACs intervals.
  const auto grid = ctx.config().sparse_space.latency() ? search::resolved_config({}, ctx.space())
                                                        : search::resolved_config(ctx.grid_config(), ctx.space());
  const int64_t num_intervals = search::MacsRange{grid.min_macs, grid.max_macs, grid.interval}.num_intervals();
  const MacsGroupFn interval_of = [grid, num_intervals](int64_t macs) {
    if (macs < grid.min_macs) return int64_t{-1};
    return std::min(num_intervals, (macs - grid.min_macs) / grid.interval);
  };
  PredictorStageResult result =
      run_predictor_comparison(ctx.space(), pairs, ctx.config().predictor, ctx.threads(), interval_of);
  fs::create_directories(ctx.path(rundir::kPredictorModel).parent_path());
  result.early.save(ctx.path(rundir::kPredictorModel));
  write_predictor_tables(result, ctx.path(rundir::kPredictorScores), ctx.path(rundir::kHeldout));
  const PredictorScore& early = result.scores.front();
  rec.metrics = {{"kind", early.predictor},
                 {"target", ctx.config().predictor.target},
                 {"objective", ctx.config().predictor.early.objective},
                 {"refit_pairs", result.early_fit_pairs},
                 {"fit_seconds", early.fit_seconds},
                 {"rmse", early.rmse},
                 {"rmse_shifted", early.rmse_shifted},
                 {"kendall_tau", early.kendall_tau},
                 {"spearman_rho", early.spearman_rho}};
  for (const auto& s : result.scores) {
    SNAS_LOG(INFO) << "predictor " << s.predictor << ": fit " << s.fit_seconds << " s, RMSE (shifted) "
                   << s.rmse_shifted * 100 << "%, Kendall tau " << s.kendall_tau;
  }
}

void run_sparse_space(RunContext& ctx, StageRecord& rec, int64_t top_k, const search::EvolutionConfig& evolution,
                      const std::string& rerank_on) {
  const space::SearchSpace& sp = ctx.space();
  auto early = predictor::XgbAccuracyPredictor::load(ctx.path(rundir::kPredictorModel), sp);
  early.model().set_nthread(ctx.threads());
  search::SparseSpaceConfig cfg = ctx.grid_config();
  cfg.top_k = top_k;
  cfg.evolution = evolution;
  if (rerank_on.empty()) cfg.rerank_pool = 0;
  const search::FitnessFn fitness = [&early](const std::vector<space::Arch>& archs) { return early.predict(archs); };
  const search::LatencyPredictor* latency = ctx.latency();
  const auto resolved = search::resolved_config(cfg, sp, latency);
  const int64_t num_intervals =
      search::MacsRange{resolved.min_macs, resolved.max_macs, resolved.interval}.num_intervals();
  Progress progress("sparse space", num_intervals, "interval");
  search::FitnessFn measure;
  int64_t measured = 0;
  if (cfg.rerank_pool > 0) {
    SNAS_LOG(INFO) << "sparse space: re-ranking " << cfg.rerank_pool << " candidates per interval by their top-1 on "
                   << rerank_on << " (up to " << num_intervals * cfg.rerank_pool << " evaluations)";
    measure = measure_on(ctx, rerank_on, ctx.config().proxy, [&ctx, &progress, &measured] {
      progress.step(0, std::to_string(++measured) + " nets measured");
      ctx.check_stop("the sparse space's re-ranking");
    });
  }
  const auto start = std::chrono::steady_clock::now();
  const search::SparseSpace sparse =
      search::build_sparse_space(sp, fitness, cfg, [&](const search::IntervalProgress& p) {
        progress.step(1, std::to_string(p.num_archs) + " nets");
        ctx.check_stop("the sparse-space search");
      }, measure, latency);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
  search::write_sparse_space(ctx.path(rundir::kSparseSpace), sparse);
  rec.metrics = list_metrics(sparse);
  rec.metrics["evaluations"] = sparse.num_evaluations;
  rec.metrics["seconds"] = seconds;
  rec.metrics["seconds_per_interval"] = seconds / std::max<int64_t>(1, num_intervals);
  if (cfg.rerank_pool > 0) rec.metrics["rerank_pool"] = cfg.rerank_pool;
  if (latency) rec.metrics["constraint"] = cfg.constraint;
  SNAS_LOG(INFO) << "sparse space: " << sparse.size() << " networks in " << sparse.intervals.size()
                 << " intervals (" << sparse.unreachable.size() << " unreachable), " << seconds << " s";
  if (!sparse.unreachable.empty()) {
    SNAS_LOG(WARN) << sparse.unreachable.size() << (latency ? " latency" : " MACs") << " intervals hold no network of the space (listed in "
                   << "sparse_space.json and report.md)";
  }
}

void run_family_list(RunContext& ctx, StageRecord& rec) {
  const space::SearchSpace compofa = space::SearchSpace::from_name(space::compofa_space_of(ctx.config().space), ctx.space_options());
  const search::SparseSpace list = search::sparse_space_from_list(ctx.space(), compofa.enumerate(), ctx.grid_config(), ctx.latency());
  search::write_sparse_space(ctx.path(rundir::kSparseSpace), list);
  rec.metrics = list_metrics(list);
}

void run_subspace(RunContext& ctx, StageRecord& rec) {
  Rng rng(mix_seed(ctx.config().random_subspace.seed, 0x5355'4253'5041'4345ULL));
  const std::vector<space::Arch> archs = ctx.space().sample_distinct(ctx.config().random_subspace.networks, rng);
  const search::SparseSpace list = search::sparse_space_from_list(ctx.space(), archs, ctx.grid_config(), ctx.latency());
  search::write_sparse_space(ctx.path(rundir::kSparseSpace), list);
  rec.metrics = list_metrics(list);
}

void run_report(RunContext& ctx, StageRecord& rec) {
  // The manifest on disk already holds this stage's predecessors (written after each).
  const report::ReportResult result = report::write_report(ctx.dir());
  for (const auto& w : result.warnings) SNAS_LOG(WARN) << "report: " << w;
  rec.metrics = {{"plots", static_cast<int64_t>(result.plots.size())},
                 {"warnings", static_cast<int64_t>(result.warnings.size())}};
}

}  // namespace sparsenas::pipeline
