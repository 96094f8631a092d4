#include "sparsenas/report/compare.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/predictor/metrics.h"
#include "sparsenas/report/bootstrap.h"
#include "sparsenas/report/curve_stats.h"
#include "sparsenas/report/format.h"
#include "sparsenas/report/gnuplot.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"

namespace sparsenas::report {

namespace fs = std::filesystem;
using nlohmann::json;
using rundir::Manifest;
using rundir::StageRecord;

namespace {

// One run directory, read.
struct Run {
  fs::path dir;
  std::string method, preset, label;
  int64_t seed = 0;
  Manifest manifest;
  std::vector<search::FamilyRow> rows;
  std::optional<search::SparseSpace> sparse;
  bool uses_test = true;  // every row has a test accuracy
  // Per-image test correctness of each family row (family_correct.json), when the run has it and
  // it matches family.csv; else `no_bits` says why.
  std::optional<rundir::ImageCorrectness> bits;
  std::string no_bits;

  double accuracy(const search::FamilyRow& r) const { return uses_test ? r.test_top1 : r.val_top1; }
  std::vector<double> accuracies() const {
    std::vector<double> a;
    for (const auto& r : rows) a.push_back(accuracy(r));
    return a;
  }
};

Run read_run_dir(const fs::path& dir) {
  const rundir::RunDir rd = rundir::open_run(dir, "run");
  Run run;
  run.dir = dir;
  run.method = rd.method();
  run.preset = rd.preset();
  run.seed = rd.seed();
  run.manifest = rd.manifest();
  run.rows = rd.family().rows();
  SNAS_CHECK(!run.rows.empty(), "run ", dir, ": family.csv has no networks");
  if (rd.has(rundir::kSparseSpace)) run.sparse = rd.sparse_space();
  for (const auto& r : run.rows) run.uses_test = run.uses_test && std::isfinite(r.test_top1);
  if (!rd.has(rundir::kFamilyCorrect)) {
    run.no_bits = "no family_correct.json (a run made before per-image correctness was kept)";
  } else if (!run.uses_test) {
    run.no_bits = "family.csv has no test accuracies";
  } else {
    rundir::ImageCorrectness c = rd.family_correctness();
    bool matches = c.networks.size() == run.rows.size() && c.splits.count("test") && c.splits.at("test").images > 0;
    for (size_t i = 0; matches && i < run.rows.size(); ++i) matches = c.networks[i].arch == run.rows[i].arch;
    if (matches) {
      run.bits = std::move(c);
    } else {
      run.no_bits = "family_correct.json does not match family.csv (other networks or no test images)";
    }
  }
  std::string name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename().string();
  run.label = run.method + " (" + name + ")";
  return run;
}

// The MACs grid of the comparison.
struct Grid {
  int64_t min_macs = 0, interval = 1;
  int64_t count = 0;
  int64_t index(int64_t macs) const { return (macs - min_macs) / interval; }
};

Grid make_grid(const std::vector<Run>& runs, const Run& reference) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const Run& r : runs) {
    for (const auto& row : r.rows) {
      lo = std::min(lo, row.macs);
      hi = std::max(hi, row.macs);
    }
  }
  Grid g;
  // A sparse space on a latency grid (constraint latency) has no MACs grid to borrow.
  if (reference.sparse && !reference.sparse->config.latency()) {
    g.min_macs = reference.sparse->config.min_macs;
    g.interval = std::max<int64_t>(1, reference.sparse->config.interval);
  } else {
    g.min_macs = lo;
    g.interval = std::max<int64_t>(1, (hi - lo) / 10 + 1);
  }
  if (lo < g.min_macs) g.min_macs -= ((g.min_macs - lo + g.interval - 1) / g.interval) * g.interval;
  g.count = g.index(hi) + 1;
  return g;
}

// One run's networks in one MACs interval. `best` is the highest accuracy, so it favours larger
// families (a maximum over more noisy measurements); `picked` is the accuracy of the network with
// the highest validation accuracy (what a lookup by validation accuracy hands the user; ties go to
// the first in family.csv), which does not select on the test set.
struct Cell {
  int64_t n = 0;
  double mean = kNaN, best = kNaN, picked = kNaN;
};

std::vector<Cell> cells_of(const Run& run, const Grid& grid, const std::vector<double>& accuracy) {
  std::vector<Cell> cells(static_cast<size_t>(grid.count));
  std::vector<double> sums(cells.size(), 0.0), picked_val(cells.size(), -1.0);
  for (size_t i = 0; i < run.rows.size(); ++i) {
    const auto& row = run.rows[i];
    const size_t k = static_cast<size_t>(grid.index(row.macs));
    Cell& c = cells[k];
    const double a = accuracy[i];
    ++c.n;
    sums[k] += a;
    c.best = std::isfinite(c.best) ? std::max(c.best, a) : a;
    if (row.val_top1 > picked_val[k]) {
      picked_val[k] = row.val_top1;
      c.picked = a;
    }
  }
  for (size_t k = 0; k < cells.size(); ++k) {
    if (cells[k].n) cells[k].mean = sums[k] / cells[k].n;
  }
  return cells;
}

// A difference between two sides, each one run or the runs of one method (seeds pooled): per
// interval and averaged over the shared intervals, for mean, best and picked.
constexpr int kStats = 3;
const char* const kStatNames[kStats] = {"mean", "best", "picked"};
using Triple = std::array<double, kStats>;
constexpr Triple kNoTriple = {kNaN, kNaN, kNaN};

struct Deltas {
  std::vector<Triple> interval;  // per grid interval; NaN where the sides do not share it
  Triple average = kNoTriple;    // over the shared intervals
  int64_t shared = 0;
};

// A side's statistics in interval k: the average over its runs with networks there.
Triple side_cell(const std::vector<size_t>& side, const std::vector<std::vector<Cell>>& cells, int64_t k) {
  Triple sum = {0, 0, 0};
  int n = 0;
  for (size_t r : side) {
    const Cell& c = cells[r][static_cast<size_t>(k)];
    if (!c.n) continue;
    sum[0] += c.mean;
    sum[1] += c.best;
    sum[2] += c.picked;
    ++n;
  }
  if (!n) return kNoTriple;
  for (double& v : sum) v /= n;
  return sum;
}

Deltas deltas_of(const std::vector<size_t>& a, const std::vector<size_t>& b,
                 const std::vector<std::vector<Cell>>& cells, int64_t count) {
  Deltas d;
  d.interval.assign(static_cast<size_t>(count), kNoTriple);
  Triple sum = {0, 0, 0};
  for (int64_t k = 0; k < count; ++k) {
    const Triple x = side_cell(a, cells, k), y = side_cell(b, cells, k);
    if (!std::isfinite(x[0]) || !std::isfinite(y[0])) continue;
    for (int s = 0; s < kStats; ++s) {
      d.interval[static_cast<size_t>(k)][s] = x[s] - y[s];
      sum[s] += x[s] - y[s];
    }
    ++d.shared;
  }
  if (d.shared) {
    for (int s = 0; s < kStats; ++s) d.average[s] = sum[s] / static_cast<double>(d.shared);
  }
  return d;
}

// One comparison of the report and its bootstrap intervals.
struct Comparison {
  std::string label;         // "A − B"
  std::vector<size_t> a, b;  // run indices
  Deltas value;
  std::string no_ci;  // empty when the intervals were computed
  std::vector<std::array<Interval, kStats>> interval_ci;
  std::array<Interval, kStats> average_ci{};
};

// The paired bootstrap over test images of every comparison whose runs all kept per-image
// correctness on the reference's test images (CompareOptions::bootstrap_resamples replicates).
// Returns a sentence on what was done, for the report.
std::string bootstrap(std::vector<Comparison>& comps, const std::vector<Run>& runs, size_t ref, const Grid& grid,
                      const std::vector<std::vector<Cell>>& cells, const CompareOptions& options) {
  std::vector<std::string> unusable(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].bits) {
      unusable[i] = runs[i].label + ": " + runs[i].no_bits;
    } else if (runs[ref].bits && runs[i].bits->splits.at("test") != runs[ref].bits->splits.at("test")) {
      const auto& mine = runs[i].bits->splits.at("test");
      const auto& theirs = runs[ref].bits->splits.at("test");
      unusable[i] = runs[i].label + ": its test images differ from the reference's (" + std::to_string(mine.images) +
                    " images, fingerprint " + mine.fingerprint + " vs " + std::to_string(theirs.images) +
                    ", " + theirs.fingerprint + "); runs must share data.source, data.test_limit, "
                    "data.split_seed, data.image_size and family.test_images";
    }
  }
  bool any = false;
  for (Comparison& c : comps) {
    c.no_ci.clear();
    for (const auto* side : {&c.a, &c.b}) {
      for (size_t r : *side) {
        if (c.no_ci.empty() && !unusable[r].empty()) c.no_ci = unusable[r];
      }
    }
    if (options.bootstrap_resamples == 0) c.no_ci = "bootstrap turned off (0 resamples)";
    if (!runs[ref].bits) c.no_ci = unusable[ref];
    c.interval_ci.assign(static_cast<size_t>(grid.count), {Interval{kNaN, kNaN}, {kNaN, kNaN}, {kNaN, kNaN}});
    c.average_ci = {Interval{kNaN, kNaN}, {kNaN, kNaN}, {kNaN, kNaN}};
    any = any || c.no_ci.empty();
  }
  if (!any) return "No confidence intervals: " + (comps.empty() ? std::string("nothing to compare") : comps[0].no_ci) + ".";

  const int64_t n = runs[ref].bits->splits.at("test").images;
  std::vector<std::vector<std::vector<Triple>>> per_interval(comps.size());  // [comp][interval][replicate]
  std::vector<std::vector<Triple>> average(comps.size());                    // [comp][replicate]
  for (auto& p : per_interval) p.resize(static_cast<size_t>(grid.count));
  Rng rng(mix_seed(options.bootstrap_seed, 0x424f'4f54'5354ULL));
  std::vector<std::vector<Cell>> replicate = cells;
  Progress progress("compare bootstrap", options.bootstrap_resamples, "rep");
  for (int64_t b = 0; b < options.bootstrap_resamples; ++b) {
    const std::vector<int32_t> counts = resample_counts(n, rng);
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!unusable[i].empty()) continue;
      std::vector<double> acc(runs[i].rows.size());
      for (size_t j = 0; j < acc.size(); ++j) acc[j] = weighted_accuracy(runs[i].bits->bits(j, "test"), counts);
      replicate[i] = cells_of(runs[i], grid, acc);
    }
    for (size_t c = 0; c < comps.size(); ++c) {
      if (!comps[c].no_ci.empty()) continue;
      const Deltas d = deltas_of(comps[c].a, comps[c].b, replicate, grid.count);
      for (int64_t k = 0; k < grid.count; ++k) per_interval[c][static_cast<size_t>(k)].push_back(d.interval[static_cast<size_t>(k)]);
      average[c].push_back(d.average);
    }
    progress.step();
  }
  progress.finish();
  const auto interval_of = [](const std::vector<Triple>& reps, int s) {
    std::vector<double> v;
    for (const Triple& t : reps) v.push_back(t[s]);
    return percentile_interval(v);
  };
  for (size_t c = 0; c < comps.size(); ++c) {
    if (!comps[c].no_ci.empty()) continue;
    for (int s = 0; s < kStats; ++s) {
      comps[c].average_ci[s] = interval_of(average[c], s);
      for (int64_t k = 0; k < grid.count; ++k) {
        if (std::isfinite(comps[c].value.interval[static_cast<size_t>(k)][s])) {
          comps[c].interval_ci[static_cast<size_t>(k)][s] = interval_of(per_interval[c][static_cast<size_t>(k)], s);
        }
      }
    }
  }
  return "95% intervals: paired percentile bootstrap over the " + std::to_string(n) + " test images (" +
         std::to_string(options.bootstrap_resamples) + " resamples, seed " + std::to_string(options.bootstrap_seed) +
         "): each resample draws the images with replacement, recomputes every network's accuracy, every "
         "interval's mean, best and picked on both sides and their difference. `picked` keeps the network "
         "chosen by validation accuracy (the validation images are not resampled).";
}

// "12.5%", or "n/a" when not finite.
std::string percent_or_na(double fraction) {
  return std::isfinite(fraction) ? finite_fixed(fraction * 100, 1) + "%" : std::string("n/a");
}

json value_ci(double value, const Interval& ci) {
  json j = {{"value", value}};
  j["ci95"] = std::isfinite(ci[0]) ? json::array({ci[0], ci[1]}) : json(nullptr);
  return j;
}

// "+0.12 [-0.30, +0.55]" in points, or the value alone without an interval.
std::string points_ci(double value, const Interval& ci) {
  std::string out = signed_points(value);
  if (std::isfinite(ci[0])) out += " [" + signed_points(ci[0]) + ", " + signed_points(ci[1]) + "]";
  return out;
}

json comparison_json(const Comparison& c, const Grid& grid) {
  json intervals = json::array();
  for (int64_t k = 0; k < grid.count; ++k) {
    const Triple& d = c.value.interval[static_cast<size_t>(k)];
    if (!std::isfinite(d[0])) continue;
    json row = {{"min_macs", grid.min_macs + k * grid.interval}, {"max_macs", grid.min_macs + (k + 1) * grid.interval}};
    for (int s = 0; s < kStats; ++s) row[kStatNames[s]] = value_ci(d[s], c.interval_ci[static_cast<size_t>(k)][s]);
    intervals.push_back(row);
  }
  json j = {{"comparison", c.label}, {"shared_intervals", c.value.shared}, {"intervals", intervals}};
  for (int s = 0; s < kStats; ++s) j[kStatNames[s]] = value_ci(c.value.average[s], c.average_ci[s]);
  j["ci95_method"] = c.no_ci.empty() ? json("paired bootstrap over test images") : json(nullptr);
  if (!c.no_ci.empty()) j["no_ci_reason"] = c.no_ci;
  return j;
}

bool is_training(const StageRecord& s) { return s.epochs > 0; }

struct Cost {
  double wall = 0, core = 0;
  int64_t passes = 0, teacher_passes = 0, epochs = 0;
  double teacher_wall = 0;  // 0 for a reused teacher (it measures nothing of this run's host)
  double other_wall = 0;    // pairs, predictor, search, family (not the report)
  std::string teacher_hash;  // the teacher stage's output hash: equal for runs that share teacher.pt
  bool teacher_reused = false;  // teacher_stage.from: copied, not trained in this run
};

Cost cost_of(const Run& run) {
  Cost c;
  for (const StageRecord& s : run.manifest.stages) {
    if (s.name == "teacher") {
      c.teacher_hash = s.output_hash;
      c.teacher_reused = s.metric_text("from").has_value();
      c.teacher_wall = c.teacher_reused ? 0.0 : s.wall_seconds;
    } else if (is_training(s)) {
      c.wall += s.wall_seconds;
      c.core += s.core_seconds;
      c.passes += s.subnet_passes;
      c.teacher_passes += s.teacher_passes;
      c.epochs += s.epochs;
    } else if (s.name != "report") {
      c.other_wall += s.wall_seconds;
    }
  }
  return c;
}

// One distinct teacher of the compared runs (by teacher.pt's content), with its training cost
// counted once: from a run that trained it, else from the checkpoint counters that a run which
// reused it recorded (`source_*` metrics of its teacher stage).
struct TeacherUse {
  std::string hash;
  std::vector<std::string> runs;  // labels of the runs that use it
  std::string trained_by;         // the runs that trained it, or the file it was reused from
  bool trained_in_a_run = false;  // trained_by is one of the compared runs
  int64_t epochs = 0;
  double wall = 0;
};

std::vector<TeacherUse> teachers_of(const std::vector<Run>& runs) {
  std::vector<TeacherUse> teachers;
  for (const Run& r : runs) {
    const StageRecord* s = r.manifest.find("teacher");
    if (!s || s->output_hash.empty()) continue;
    auto it = std::find_if(teachers.begin(), teachers.end(), [&](const TeacherUse& t) { return t.hash == s->output_hash; });
    if (it == teachers.end()) {
      teachers.push_back(TeacherUse{s->output_hash, {}, "", false, 0, 0.0});
      it = teachers.end() - 1;
    }
    it->runs.push_back(r.label);
    const bool reused = s->metric_text("from").has_value();
    if (!reused && it->trained_in_a_run) {
      it->trained_by += ", " + r.label;  // the same weights trained again (same seed and recipe)
    } else if (!reused) {
      it->trained_by = r.label;
      it->trained_in_a_run = true;
      it->epochs = s->epochs;
      it->wall = s->wall_seconds;
    } else if (reused && it->trained_by.empty()) {
      it->trained_by = "file " + *s->metric_text("from");
      it->epochs = static_cast<int64_t>(s->metric("source_epochs").value_or(0));
      it->wall = s->metric("source_wall_seconds").value_or(kNaN);
    }
  }
  return teachers;
}

double lookup_seconds(const Run& run, const CompareOptions& options) {
  const search::FamilyTable table(run.rows);
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const auto& r : run.rows) {
    lo = std::min(lo, r.macs);
    hi = std::max(hi, r.macs);
  }
  std::vector<double> limits;  // a third, two thirds and all of the MACs range
  for (int k = 1; k <= 3; ++k) limits.push_back(lo + (static_cast<double>(hi) - lo) * k / 3.0);
  return search::median_query_seconds(
      table, search::Bound::kMacs, limits,
      {options.lookup_rounds, options.lookup_queries_per_round, /*warm_up=*/true});
}

// Kendall tau between the predicted accuracy that chose a network and its measured accuracy, over
// the family's networks a predictor chose (sparse_space.json entries with predicted != 0).
struct Ranking {
  int64_t n = 0;
  double tau_val = kNaN, tau_test = kNaN;
};

Ranking ranking_of(const Run& run) {
  Ranking out;
  if (!run.sparse) return out;
  std::map<std::string, double> predicted;
  for (const auto& interval : run.sparse->intervals) {
    for (const auto& a : interval.archs) {
      if (a.predicted != 0.0) predicted[a.arch.to_string()] = a.predicted;
    }
  }
  std::vector<double> p, v, t;
  for (const auto& r : run.rows) {
    const auto it = predicted.find(r.arch.to_string());
    if (it == predicted.end()) continue;
    p.push_back(it->second);
    v.push_back(r.val_top1);
    t.push_back(r.test_top1);
  }
  out.n = static_cast<int64_t>(p.size());
  if (out.n >= 2) {
    out.tau_val = predictor::kendall_tau(p, v);
    if (run.uses_test) out.tau_test = predictor::kendall_tau(p, t);
  }
  return out;
}

}  // namespace

void CompareOptions::validate() const {
  SNAS_CHECK(bootstrap_resamples >= 0 && bootstrap_resamples <= 1000000,
             "CompareOptions.bootstrap_resamples must be in [0, 1000000], got ", bootstrap_resamples);
  SNAS_CHECK(lookup_rounds >= 1, "CompareOptions.lookup_rounds must be >= 1, got ", lookup_rounds);
  SNAS_CHECK(lookup_queries_per_round >= 1, "CompareOptions.lookup_queries_per_round must be >= 1, got ",
             lookup_queries_per_round);
}

CompareResult write_comparison(const std::vector<fs::path>& dirs, const fs::path& out_dir,
                               const CompareOptions& options) {
  options.validate();
  SNAS_CHECK(!dirs.empty(), "compare: give at least one run directory");
  std::vector<Run> runs;
  for (const fs::path& d : dirs) runs.push_back(read_run_dir(d));
  size_t ref = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].method == "sparsenas") {
      ref = i;
      break;
    }
  }
  {  // labels must be distinct
    std::map<std::string, int> seen;
    for (Run& r : runs) {
      if (seen[r.label]++) r.label += " #" + std::to_string(seen[r.label]);
    }
  }
  const Run& reference = runs[ref];
  const Grid grid = make_grid(runs, reference);
  std::vector<std::vector<Cell>> cells;
  for (const Run& r : runs) cells.push_back(cells_of(r, grid, r.accuracies()));

  fs::create_directories(out_dir);
  CompareResult result;
  result.markdown = out_dir / "compare.md";
  result.json = out_dir / "compare.json";
  json out = {{"reference", reference.label}, {"runs", json::array()}};

  // The plot: every family on one chart.
  PlotSpec plot;
  plot.name = "accuracy_vs_macs";
  plot.alt = "top-1 accuracy vs MACs of every family";
  plot.width = 1000;
  plot.height = 650;
  std::ostringstream body;
  bool all_test = true;
  for (const Run& r : runs) all_test = all_test && r.uses_test;
  body << "set title 'Families: " << (all_test ? "test" : "test (or validation)") << " top-1 vs MACs'\n"
       << "set xlabel 'MACs (M)'\nset ylabel 'top-1 (%)'\nset grid\nset key bottom right\nplot ";
  for (size_t i = 0; i < runs.size(); ++i) {
    std::ostringstream data;
    data << "# macs_M top1_percent (" << (runs[i].uses_test ? "test" : "validation") << ")\n";
    std::vector<const search::FamilyRow*> sorted;
    for (const auto& row : runs[i].rows) sorted.push_back(&row);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->macs < b->macs; });
    for (const auto* row : sorted) data << row->macs / 1e6 << ' ' << runs[i].accuracy(*row) * 100 << '\n';
    const std::string file = "family_" + std::to_string(i) + ".dat";
    plot.data.emplace_back(file, data.str());
    body << (i ? ", \\\n     " : "") << gnuplot_quote(file) << " using 1:2 with points pt " << (7 + i % 6)
         << " ps 0.8 title " << gnuplot_quote(runs[i].label);
  }
  body << "\n";
  plot.body = body.str();
  RenderedPlots rendered = render_plots(out_dir, {plot}, options.plots, options.gnuplot);
  result.plots = rendered.plots;
  result.warnings = rendered.warnings;

  std::ostringstream md;
  md << "# Method comparison\n\n"
     << "Reference: **" << reference.label << "**. Accuracies are "
     << (all_test ? "test top-1 (never used for selection)" : "test top-1 where measured, else validation top-1")
     << ", in %.\n\n";
  md << "| run | method | preset | seed | family networks | MACs range (M) | best top-1 | directory |\n"
        "|---|---|---|---:|---:|---|---:|---|\n";
  for (const Run& r : runs) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    double best = -1;
    for (const auto& row : r.rows) {
      lo = std::min(lo, row.macs);
      hi = std::max(hi, row.macs);
      best = std::max(best, r.accuracy(row));
    }
    md << "| " << r.label << " | " << r.method << " | " << r.preset << " | " << r.seed << " | "
       << r.rows.size() << " | " << finite_fixed(lo / 1e6, 2) << "–" << finite_fixed(hi / 1e6, 2)
       << " | " << finite_fixed(best * 100, 2) << " | `" << r.dir.string() << "` |\n";
    out["runs"].push_back({{"label", r.label},
                           {"method", r.method},
                           {"preset", r.preset},
                           {"seed", r.seed},
                           {"dir", r.dir.string()},
                           {"networks", r.rows.size()},
                           {"best_top1", best},
                           {"accuracy", r.uses_test ? "test" : "val"}});
  }
  md << "\n" << (rendered.notes.count(plot.name) ? rendered.notes[plot.name] : "") << "\n\n";

  // Accuracy at equal MACs, each run against the reference run, with bootstrap intervals.
  std::vector<Comparison> comps;
  std::vector<size_t> comp_run(runs.size(), SIZE_MAX);  // run -> its comparison
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i == ref) continue;
    comp_run[i] = comps.size();
    comps.push_back({runs[i].label + " − " + reference.label, {i}, {ref},
                     deltas_of({i}, {ref}, cells, grid.count), "", {}, {}});
  }
  // The same, per method with its seeds pooled, when some method has several runs.
  std::vector<std::string> methods;
  std::map<std::string, std::vector<size_t>> group;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!group.count(runs[i].method)) methods.push_back(runs[i].method);
    group[runs[i].method].push_back(i);
  }
  bool pooled = false;
  for (const auto& [m, members] : group) pooled = pooled || members.size() > 1;
  const size_t first_group = comps.size();
  if (pooled) {
    for (const std::string& m : methods) {
      if (m == reference.method) continue;
      comps.push_back({m + " − " + reference.method + " (seeds pooled)", group[m], group[reference.method],
                       deltas_of(group[m], group[reference.method], cells, grid.count), "", {}, {}});
    }
  }
  const std::string bootstrap_note = bootstrap(comps, runs, ref, grid, cells, options);

  md << "## Accuracy per MACs interval\n\n"
     << "Intervals of " << finite_fixed(grid.interval / 1e6, 3) << "M MACs from "
     << finite_fixed(grid.min_macs / 1e6, 3) << "M (the reference's sparse-space grid"
     << (reference.sparse ? "" : ": not available, so 10 equal intervals over all families") << "). "
     << "Per run: networks, mean and best top-1, and the top-1 of the network picked by validation "
        "accuracy (what a lookup hands the user; `best` is a maximum over the test measurements, so it "
        "favours larger families); Δ = run − reference where both have networks, in points, with its 95% "
        "interval in brackets where computed. "
     << bootstrap_note << "\n\n";
  md << "| MACs (M) |";
  for (const Run& r : runs) md << " " << r.label << ": n / mean / best / picked |";
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i != ref) md << " Δ mean / Δ best / Δ picked vs " << reference.label << " (" << runs[i].label << ") |";
  }
  md << "\n|---:|";
  for (size_t i = 0; i < runs.size(); ++i) md << "---|";
  for (size_t i = 0; i + 1 < runs.size(); ++i) md << "---|";
  md << "\n";
  for (int64_t k = 0; k < grid.count; ++k) {
    bool any = false;
    for (const auto& c : cells) any = any || c[k].n > 0;
    if (!any) continue;
    md << "| " << finite_fixed((grid.min_macs + k * grid.interval) / 1e6, 2) << "–"
       << finite_fixed((grid.min_macs + (k + 1) * grid.interval) / 1e6, 2) << " |";
    for (const auto& c : cells) {
      md << " "
         << (c[k].n
                 ? std::to_string(c[k].n) + " / " + finite_fixed(c[k].mean * 100, 2) + " / " +
                       finite_fixed(c[k].best * 100, 2) + " / " + finite_fixed(c[k].picked * 100, 2)
                 : std::string("–"))
         << " |";
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      if (i == ref) continue;
      const Comparison& c = comps[comp_run[i]];
      const Triple& d = c.value.interval[static_cast<size_t>(k)];
      if (std::isfinite(d[0])) {
        md << " ";
        for (int s = 0; s < kStats; ++s) {
          md << (s ? " / " : "") << points_ci(d[s], c.interval_ci[static_cast<size_t>(k)][s]);
        }
        md << " |";
      } else {
        md << " – |";
      }
    }
    md << "\n";
  }
  md << "\nSummary at equal MACs (averages over the shared intervals, with 95% intervals; the paper reports "
        "SparseNAS +1.1 points mean and +1.5 best over CompOFA, i.e. CompOFA − SparseNAS = −1.1 / −1.5):\n\n"
        "| comparison | shared intervals | mean of Δ mean (points) | mean of Δ best (points) | mean of Δ picked "
        "(points) | interval |\n|---|---:|---:|---:|---:|---|\n";
  const auto summary_row = [&](const Comparison& c) {
    md << "| " << c.label << " | " << c.value.shared;
    for (int s = 0; s < kStats; ++s) md << " | " << points_ci(c.value.average[s], c.average_ci[s]);
    md << " | " << (c.no_ci.empty() ? std::string("bootstrap over test images") : "none: " + cell(c.no_ci))
       << " |\n";
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i == ref) continue;
    const Comparison& c = comps[comp_run[i]];
    summary_row(c);
    out["runs"][i]["shared_intervals"] = c.value.shared;
    out["runs"][i]["delta_mean_vs_reference"] = c.value.average[0];
    out["runs"][i]["delta_best_vs_reference"] = c.value.average[1];
    out["runs"][i]["delta_picked_vs_reference"] = c.value.average[2];
    out["runs"][i]["vs_reference"] = comparison_json(c, grid);
  }
  md << "\n";

  // Seeds pooled per method.
  if (pooled) {
    md << "### Per method, seeds pooled\n\n"
          "Each method's interval statistic is the average over its runs (seeds) with networks in the "
          "interval; Δ = method − " << reference.method << " over the intervals both methods cover. The 95% "
          "interval resamples the test images (one draw for every run of both methods, so it averages the "
          "image noise over the seeds); it is conditional on the trained supernets and leaves the seed-to-seed "
          "variation out: that is the column `seed sd`, the standard deviation over the method's runs of each "
          "run's mean Δ mean against the pooled reference (n − 1 in the denominator; n/a with one run).\n\n"
          "| comparison | runs | shared intervals | Δ mean (points) | Δ best (points) | Δ picked (points) | "
          "seed sd of Δ mean (points) |\n|---|---:|---:|---:|---:|---:|---:|\n";
    out["methods"] = json::array();
    for (size_t c = first_group; c < comps.size(); ++c) {
      const Comparison& cmp = comps[c];
      std::vector<double> per_seed;
      for (size_t r : cmp.a) per_seed.push_back(deltas_of({r}, cmp.b, cells, grid.count).average[0]);
      double sd = kNaN;
      if (per_seed.size() >= 2) {
        const double m = mean_of(per_seed);
        double ss = 0;
        for (double v : per_seed) ss += (v - m) * (v - m);
        sd = std::sqrt(ss / static_cast<double>(per_seed.size() - 1));
      }
      md << "| " << cmp.label << " | " << cmp.a.size() << " vs " << cmp.b.size() << " | " << cmp.value.shared;
      for (int s = 0; s < kStats; ++s) md << " | " << points_ci(cmp.value.average[s], cmp.average_ci[s]);
      md << " | " << finite_fixed(sd * 100, 2) << " |\n";
      json j = comparison_json(cmp, grid);
      j["runs"] = cmp.a.size();
      j["reference_runs"] = cmp.b.size();
      j["seed_sd_delta_mean"] = std::isfinite(sd) ? json(sd) : json(nullptr);
      j["per_seed_delta_mean"] = per_seed;
      out["methods"].push_back(j);
    }
    md << "\n";
  }

  // Slopes and the share above CompOFA's curve.
  md << "## Accuracy against log MACs\n\n"
        "Slope of a least-squares line of test top-1 (points) against log2 MACs over the family's networks: "
        "points per doubling of MACs. 95% interval: bootstrap over the family's networks ("
     << options.bootstrap_resamples << " resamples, seed " << options.bootstrap_seed << ").\n\n"
     << "| run | networks | slope (points per doubling) |\n|---|---:|---|\n";
  std::vector<double> slopes(runs.size(), kNaN);
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<int64_t> macs;
    for (const auto& row : runs[i].rows) macs.push_back(row.macs);
    const SlopeEstimate e = accuracy_slope(macs, runs[i].accuracies(), options.bootstrap_resamples,
                                           mix_seed(options.bootstrap_seed, i));
    slopes[i] = e.slope;
    md << "| " << runs[i].label << " | " << e.networks << " | " << finite_fixed(e.slope, 3);
    if (std::isfinite(e.ci95[0])) md << " [" << finite_fixed(e.ci95[0], 3) << ", " << finite_fixed(e.ci95[1], 3) << "]";
    md << " |\n";
    json sj = value_ci(e.slope / 100, {e.ci95[0] / 100, e.ci95[1] / 100});
    sj["unit"] = "top-1 fraction per doubling of MACs";
    out["runs"][i]["slope_vs_log2_macs"] = sj;
  }
  {
    std::vector<size_t> ours, theirs;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].method == "sparsenas") ours.push_back(i);
      if (runs[i].method == "compofa") theirs.push_back(i);
    }
    md << "\n## SparseNAS networks above CompOFA's curve\n\n"
          "CompOFA's curve: the piecewise-linear interpolation over log MACs of its family's Pareto front "
          "(the networks no network with fewer or equal MACs beats). A sparsenas network is above it when its "
          "test top-1 exceeds the curve at its MACs; networks outside the curve's MACs range are not compared. "
          "The paper (§5.4, Fig. 6): over 70% above. Pooled: all pairs of a sparsenas run and a compofa run.\n\n";
    if (ours.empty() || theirs.empty()) {
      md << "Not computed: needs a sparsenas run and a compofa run.\n\n";
    } else {
      md << "| sparsenas run | compofa run | above | compared | outside the curve's range | share above |\n"
            "|---|---|---:|---:|---:|---:|\n";
      int64_t above = 0, compared = 0;
      json pairs = json::array();
      for (size_t t : theirs) {
        std::vector<int64_t> cm;
        for (const auto& row : runs[t].rows) cm.push_back(row.macs);
        const ParetoCurve curve = pareto_curve(cm, runs[t].accuracies());
        for (size_t o : ours) {
          std::vector<int64_t> om;
          for (const auto& row : runs[o].rows) om.push_back(row.macs);
          const ShareAbove sa = share_above(curve, om, runs[o].accuracies());
          above += sa.above;
          compared += sa.compared;
          md << "| " << runs[o].label << " | " << runs[t].label << " | " << sa.above << " | " << sa.compared << " | "
             << sa.outside << " | " << percent_or_na(sa.share()) << " |\n";
          pairs.push_back({{"sparsenas", runs[o].label}, {"compofa", runs[t].label}, {"above", sa.above},
                           {"compared", sa.compared}, {"outside", sa.outside},
                           {"share", std::isfinite(sa.share()) ? json(sa.share()) : json(nullptr)}});
        }
      }
      const double pooled_share = compared ? static_cast<double>(above) / compared : kNaN;
      md << "| pooled | | " << above << " | " << compared << " | | " << percent_or_na(pooled_share) << " |\n\n";
      out["share_above_compofa_curve"] = {
          {"curve", "piecewise-linear over log MACs through CompOFA's Pareto front"},
          {"pairs", pairs},
          {"above", above},
          {"compared", compared},
          {"share", std::isfinite(pooled_share) ? json(pooled_share) : json(nullptr)}};
    }
  }
  out["bootstrap"] = {{"resamples", options.bootstrap_resamples}, {"seed", options.bootstrap_seed},
                      {"note", bootstrap_note}};

  // Table 4.
  md << "## Training cost (paper Table 4)\n\n"
        "Every training stage; the totals below leave the teacher out (it is the same recipe in "
        "every run, or the same weights when shared; the paper's totals leave it out too). A reused "
        "teacher (`--teacher`) is not trained in its run and is counted once under \"Teachers\". "
        "Core-hours: process CPU time / 3600.\n\n"
        "| run | stage | n_sub | epochs | sub-network passes | wall (s) | core-hours |\n"
        "|---|---|---:|---:|---:|---:|---:|\n";
  for (const Run& r : runs) {
    for (const StageRecord& s : r.manifest.stages) {
      if (!is_training(s)) continue;
      md << "| " << r.label << " | " << s.name << " | " << s.n_sub << " | " << s.epochs << " | "
         << format_count(s.subnet_passes) << " | " << finite_fixed(s.wall_seconds, 1) << " | "
         << finite_fixed(s.core_seconds / 3600, 3) << " |\n";
    }
  }
  const Cost ref_cost = cost_of(reference);
  // The teacher is the same recipe in every run, so its wall measures the host's speed during that
  // run: dividing each run's training wall by its own teacher's wall cancels a host that ran faster
  // or slower between runs (measured here: 1.23x between two identical teachers).
  auto quotient = [](double a, double b) { return b > 0 ? a / b : kNaN; };  // NaN (printed n/a) unless b > 0
  const double ref_per_teacher = quotient(ref_cost.wall, ref_cost.teacher_wall);
  md << "\n| run | training wall without teacher (s) | core-hours | sub-network passes | "
        "× reference (wall) | × reference (wall ÷ own teacher wall) | × reference (passes) | teacher wall (s) | "
        "pairs, predictor, search, family wall (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Cost c = cost_of(runs[i]);
    const double wr = quotient(c.wall, ref_cost.wall);
    const double nr = quotient(quotient(c.wall, c.teacher_wall), ref_per_teacher);
    const double pr = quotient(static_cast<double>(c.passes), static_cast<double>(ref_cost.passes));
    md << "| " << runs[i].label << " | " << finite_fixed(c.wall, 1) << " | "
       << finite_fixed(c.core / 3600, 3) << " | " << format_count(c.passes) << " | "
       << format_times(wr) << " | " << format_times(nr) << " | " << format_times(pr) << " | "
       << (c.teacher_reused ? std::string("reused") : finite_fixed(c.teacher_wall, 1)) << " | "
       << finite_fixed(c.other_wall, 1) << " |\n";
    out["runs"][i]["training_wall_seconds"] = c.wall;
    out["runs"][i]["training_core_seconds"] = c.core;
    out["runs"][i]["subnet_passes"] = c.passes;
    out["runs"][i]["training_wall_ratio"] = wr;
    out["runs"][i]["training_wall_ratio_teacher_normalised"] = nr;
    out["runs"][i]["teacher_wall_seconds"] = c.teacher_wall;
    out["runs"][i]["other_wall_seconds"] = c.other_wall;
    out["runs"][i]["teacher_hash"] = c.teacher_hash;
    out["runs"][i]["teacher_reused"] = c.teacher_reused;
  }
  {  // Each distinct teacher once (shared teachers detected by teacher.pt's content hash).
    const std::vector<TeacherUse> teachers = teachers_of(runs);
    double training = 0, teachers_wall = 0;
    for (const Run& r : runs) training += cost_of(r).wall;
    md << "\n### Teachers (each counted once)\n\n";
    if (teachers.size() < runs.size()) {
      md << runs.size() << " runs use " << teachers.size() << " teacher" << (teachers.size() == 1 ? "" : "s")
         << " (runs with the same teacher.pt content hash share it); each is counted once, with the wall of "
            "the first run that trained it.\n\n";
    } else {
      md << "Every run has its own teacher.\n\n";
    }
    md << "| teacher | hash | used by | trained by | epochs | wall (s) |\n|---|---|---|---|---:|---:|\n";
    out["teachers"] = json::array();
    for (size_t t = 0; t < teachers.size(); ++t) {
      const TeacherUse& u = teachers[t];
      std::string users;
      for (const auto& l : u.runs) users += (users.empty() ? "" : ", ") + l;
      md << "| T" << t + 1 << " | `" << u.hash << "` | " << users << " | "
         << (u.trained_by.empty() ? std::string("?") : u.trained_by) << " | " << u.epochs << " | "
         << finite_fixed(u.wall, 1) << " |\n";
      if (std::isfinite(u.wall)) teachers_wall += u.wall;
      out["teachers"].push_back({{"hash", u.hash},
                                 {"runs", u.runs},
                                 {"trained_by", u.trained_by},
                                 {"epochs", u.epochs},
                                 {"wall_seconds", std::isfinite(u.wall) ? json(u.wall) : json(nullptr)},
                                 {"shared", u.runs.size() > 1}});
    }
    md << "\nTraining wall of the whole comparison, each teacher once: " << finite_fixed(training + teachers_wall, 1)
       << " s (teachers " << finite_fixed(teachers_wall, 1) << " s + training stages without teacher "
       << finite_fixed(training, 1) << " s).\n";
    out["comparison_training_wall_seconds"] = training + teachers_wall;
  }
  md << "\nPaper (Table 4, RTX 3090 GPU hours without the teacher): OFA 507.9, CompOFA 222.5, "
        "SparseNAS 200.8 (n_sub 3), i.e. OFA 2.53× and CompOFA 1.11× SparseNAS; with SparseNAS† "
        "(n_sub 2, 160.5 h) the paper's 3.1× and 1.39×.\n\n";

  // Table 6.
  md << "## Search cost per query (paper Table 6)\n\n"
        "| run | family networks | lookup per query (µs, measured now) | evolutionary search per "
        "MACs interval (s) | stage |\n|---|---:|---:|---:|---|\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    const double lookup = lookup_seconds(r, options);
    std::optional<double> evo;
    std::string stage = "–";
    for (const char* name : {"sparse_space", "family_search"}) {
      if (const StageRecord* s = r.manifest.find(name)) {
        evo = s->metric("seconds_per_interval");
        if (evo) stage = name;
      }
    }
    md << "| " << r.label << " | " << r.rows.size() << " | " << finite_fixed(lookup * 1e6, 3)
       << " | " << (evo ? finite_fixed(*evo, 4) : std::string("–")) << " | " << stage << " |\n";
    out["runs"][i]["lookup_seconds"] = lookup;
    if (evo) out["runs"][i]["search_seconds_per_interval"] = *evo;
  }
  md << "\nLookup: the best network within a MACs bound from the evaluated family (median of "
     << options.lookup_rounds << " rounds of " << options.lookup_queries_per_round
     << " queries). `sparse_space`: SparseNAS's search, before training, paid once. "
        "`family_search`: the OFA way after training (predictor fitted on the trained supernet, "
        "evolution per interval); a budget outside the searched grid costs another search of "
        "that size.\n\n";

  // Predictor ranking.
  md << "## How well the predictor ranked the networks it chose\n\n"
        "Kendall τ between the predicted accuracy that selected each family network "
        "(`sparse_space.json`) and its final measured accuracy. For sparsenas this is the early "
        "predictor (fitted on the proxy supernet) against the sparse supernet (paper: 0.712); for "
        "ofa and spos the predictor fitted on the trained supernet against the same supernet; "
        "compofa and random-subspace chose no network by prediction.\n\n"
        "| run | networks | τ (validation) | τ (test) |\n|---|---:|---:|---:|\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Ranking k = ranking_of(runs[i]);
    md << "| " << runs[i].label << " | " << k.n << " | " << finite_fixed(k.tau_val, 3) << " | "
       << finite_fixed(k.tau_test, 3) << " |\n";
    if (k.n >= 2) {
      out["runs"][i]["predictor_tau_val"] = k.tau_val;
      if (std::isfinite(k.tau_test)) out["runs"][i]["predictor_tau_test"] = k.tau_test;
    }
  }
  md << "\n## Warnings\n\n";
  if (result.warnings.empty()) {
    md << "None.\n";
  } else {
    for (const auto& w : result.warnings) md << "- " << w << "\n";
  }
  write_file_atomic(result.markdown, md.str());
  write_json_file(result.json, out);
  return result;
}

}  // namespace sparsenas::report
