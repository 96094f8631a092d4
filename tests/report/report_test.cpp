// Unit tests for src/sparsenas/report/report.h: report.md and plots from a synthetic run directory.
#include "sparsenas/report/report.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "sparsenas/predictor/measurement_noise.h"
#include "sparsenas/predictor/metrics.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/report/format.h"
#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/rundir/pairs_noise.h"
#include "sparsenas/report/gnuplot.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"
#include "support/error_of.h"
#include "support/fashion_space.h"
#include "support/temp_dir.h"

namespace sparsenas::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::error_of;
using test::fashion_space;

constexpr int64_t kMinMacs = 3'000'000;
constexpr int64_t kInterval = 100'000;

using test::contains;

// The manifest of a finished run (numbers as in docs/run-directory.md's example).
json manifest_json() {
  auto stage = [](const std::string& name) {
    return json{{"name", name},
                {"status", "done"},
                {"config_hash", "9f2c"},
                {"input_hashes", json::object()},
                {"output_hash", "abcd"},
                {"started", "2026-11-27T23:40:01Z"},
                {"finished", "2026-11-27T23:44:10Z"},
                {"wall_seconds", 10.0},
                {"core_seconds", 36.0},
                {"subnet_passes", 0},
                {"teacher_passes", 0},
                {"eval_images", 0},
                {"images_seen", 0},
                {"epochs", 0},
                {"n_sub", 0},
                {"metrics", json::object()}};
  };
  json teacher = stage("teacher");
  teacher["started"] = "2026-11-27T20:00:00Z";
  teacher["wall_seconds"] = 249.1;
  teacher["core_seconds"] = 480.3;
  teacher["subnet_passes"] = 1400;
  teacher["images_seen"] = 179200;
  teacher["epochs"] = 3;
  teacher["n_sub"] = 1;
  teacher["metrics"] = {{"val_top1", 0.9134}, {"test_top1", 0.9087}, {"images_per_second", 720.0}};
  json proxy = stage("proxy");
  proxy["wall_seconds"] = 100.0;
  proxy["core_seconds"] = 180.0;
  proxy["subnet_passes"] = 2000;
  proxy["images_seen"] = 128000;
  proxy["epochs"] = 2;
  proxy["n_sub"] = 2;
  proxy["metrics"] = {{"val_top1", 0.85}, {"images_per_second", 1280.0}};
  json pairs = stage("pairs");
  pairs["eval_images"] = 50000;
  pairs["metrics"] = {{"count", 10}, {"mean_val_top1", 0.8}, {"std_val_top1", 0.01}};
  json predictor = stage("predictor");
  predictor["metrics"] = {
      {"kind", "gbdt"}, {"fit_seconds", 0.021}, {"rmse_shifted", 0.0041}, {"kendall_tau", 0.712}};
  json sparse = stage("sparse_space");
  sparse["metrics"] = {{"networks", 40},
                       {"intervals", 160},
                       {"unreachable", 16},
                       {"evaluations", 320000},
                       {"seconds_per_interval", 0.25}};
  json supernet = stage("supernet");
  supernet["wall_seconds"] = 300.0;
  supernet["core_seconds"] = 720.0;
  supernet["subnet_passes"] = 6000;
  supernet["teacher_passes"] = 3000;
  supernet["images_seen"] = 192000;
  supernet["epochs"] = 2;
  supernet["n_sub"] = 2;
  supernet["finished"] = "2026-11-28T01:00:00Z";
  json family = stage("family");
  family["metrics"] = {{"networks", 40}, {"best_val_top1", 0.9123}};
  json report = stage("report");  // left out of the tables and totals
  report["status"] = "running";
  report["wall_seconds"] = 1000.0;
  return json{{"version", 1},
              {"method", "sparsenas"},
              {"stages", {teacher, proxy, pairs, predictor, sparse, supernet, family, report}}};
}

json history_json(int epochs, bool with_val) {
  json history = json::array();
  for (int e = 0; e < epochs; ++e) {
    history.push_back({{"epoch", e},
                       {"train_loss", 1.5 - 0.3 * e},
                       {"train_top1", 0.5 + 0.1 * e},
                       {"lr", 0.1},
                       {"val_top1", with_val ? json(0.6 + 0.1 * e) : json(nullptr)},
                       {"val", json::array()},
                       {"seconds", 12.5},
                       {"images_per_second", 1000.0}});
  }
  return history;
}

// A complete run directory with small valid files of every kind.
struct RunDir {
  test::TempDir temp;
  fs::path dir;
  search::FamilyTable family;
  search::SparseSpace sparse;

  RunDir() : dir(temp.path() / "run") {
    const space::SearchSpace space = fashion_space();
    fs::create_directories(dir);
    write_json_file(dir / "config.json",
                    json{{"preset", "smoke"},
                         {"space", "ofa-mbv3"},
                         {"data", {{"source", "fashion-mnist"}, {"val_size", 5000}}}});
    write_json_file(dir / "manifest.json", manifest_json());

    // pairs.csv
    Rng rng(7);
    const std::vector<space::Arch> archs = space.sample_distinct(60, rng);
    predictor::PairsDataset pairs;
    for (size_t i = 0; i < 20; ++i) {
      pairs.pairs.push_back({archs[i], space.macs(archs[i]), space.params(archs[i]),
                             0.78 + 0.002 * static_cast<double>(i)});
    }
    pairs.write_csv(dir / "pairs.csv");
    // pairs_noise.json: halves that disagree (noise above half the spread). All images:
    // {.795, .80, .80, .80}, spread (n - 1) 0.25 points; d = even - odd = {.01, -.02, .02, 0},
    // sd 1.708 points, noise sd / 2 = 0.85 points.
    rundir::write_pairs_noise(dir / "pairs_noise.json",
                              predictor::measurement_noise({0.80, 0.79, 0.81, 0.80}, {0.79, 0.81, 0.79, 0.80}, 1000, 1000));

    // predictors.csv and predictor/heldout.csv
    write_file_atomic(dir / "predictors.csv",
                      "predictor,n_train,n_heldout,fit_seconds,rmse,rmse_shifted,kendall_tau,"
                      "spearman_rho\n"
                      "gbdt,800,200,0.021,0.0312,0.0041,0.712,0.88\n"
                      "random_forest,800,200,0.5,0.0402,0.0063,0.6543,nan\n");
    std::string heldout = "arch,val_top1,gbdt,random_forest\n";
    for (size_t i = 0; i < 5; ++i) {
      std::string quoted;
      for (char ch : archs[20 + i].to_string())
        quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      heldout += "\"" + quoted + "\"," + std::to_string(0.8 + 0.01 * i) + "," +
                 std::to_string(0.79 + 0.011 * i) + "," + std::to_string(0.81 + 0.008 * i) + "\n";
    }
    write_file_atomic(dir / "predictor" / "heldout.csv", heldout);

    // sparse_space.json: 40 networks bucketed into 100k-MACs intervals from 3M to 19M; the
    // unreachable list is 5 adjacent intervals below the space's smallest network plus 11
    // separate ones above its largest (12 ranges: 10 listed, "and 2 more").
    sparse.space = space.spec();
    sparse.config.min_macs = kMinMacs;
    sparse.config.interval = kInterval;
    sparse.config.max_macs = kMinMacs + 160 * kInterval;
    sparse.config.top_k = 5;
    std::map<int64_t, search::SparseInterval> buckets;
    for (size_t i = 20; i < 60; ++i) {
      const int64_t macs = space.macs(archs[i]);
      const int64_t index = (macs - kMinMacs) / kInterval;
      search::SparseInterval& interval = buckets[index];
      interval.index = index;
      interval.min_macs = kMinMacs + index * kInterval;
      interval.max_macs = interval.min_macs + kInterval;
      interval.num_evaluations = 100;
      interval.archs.push_back({archs[i], macs, space.params(archs[i]), 0.7 + 0.001 * i});
    }
    for (auto& [index, interval] : buckets) {
      std::sort(interval.archs.begin(), interval.archs.end(),
                [](const auto& a, const auto& b) { return a.predicted > b.predicted; });
      sparse.intervals.push_back(interval);
      sparse.num_evaluations += interval.num_evaluations;
    }
    std::vector<int64_t> unreachable = {0, 1, 2, 3, 4};
    for (int64_t k = 120; k <= 140; k += 2) unreachable.push_back(k);
    for (int64_t index : unreachable) {
      search::SparseInterval u;
      u.index = index;
      u.min_macs = kMinMacs + index * kInterval;
      u.max_macs = u.min_macs + kInterval;
      sparse.unreachable.push_back(u);
    }
    search::write_sparse_space(dir / "sparse_space.json", sparse);

    // family.csv: the 40 networks, accuracy rising with MACs; the largest is the best.
    std::vector<search::FamilyRow> rows;
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 20; i < 60; ++i) {
      lo = std::min(lo, space.macs(archs[i]));
      hi = std::max(hi, space.macs(archs[i]));
    }
    for (size_t i = 20; i < 60; ++i) {
      search::FamilyRow r;
      r.arch = archs[i];
      r.macs = space.macs(archs[i]);
      r.params = space.params(archs[i]);
      r.latency_ms = i == 20 ? std::nan("") : 1.0 + r.macs / 1e7;
      r.val_top1 = 0.80 + 0.1 * static_cast<double>(r.macs - lo) / static_cast<double>(hi - lo);
      r.test_top1 = r.val_top1 - 0.005;
      if (r.macs == hi) {
        r.val_top1 = 0.9123;
        r.test_top1 = 0.9051;
      }
      rows.push_back(r);
    }
    family = search::FamilyTable(rows);
    family.write_csv(dir / "family.csv");

    write_json_file(dir / "teacher" / "history.json", history_json(3, true));
    write_json_file(dir / "proxy" / "history.json", history_json(2, false));
    write_json_file(dir / "supernet" / "history.json", history_json(2, true));
  }
};

ReportOptions fast_options(bool plots) {
  ReportOptions options;
  options.plots = plots;
  options.lookup_rounds = 5;
  options.lookup_queries_per_round = 10;
  return options;
}

bool has_png_signature(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  return in.gcount() == 8 && std::string(head, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

std::vector<fs::path> temp_files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (contains(entry.path().filename().string(), ".tmp")) out.push_back(entry.path());
  }
  return out;
}

TEST(ReportTest, WritesEveryTableWithTheRunsNumbers) {
  RunDir run;
  const ReportResult result = write_report(run.dir, fast_options(false));
  EXPECT_EQ(result.markdown, run.dir / "report.md");
  EXPECT_TRUE(result.plots.empty());
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  const std::string md = read_file(result.markdown);

  // Header.
  EXPECT_TRUE(contains(md, "| method | sparsenas |"));
  EXPECT_TRUE(contains(md, "| preset | smoke |"));
  EXPECT_TRUE(contains(md, "| space | ofa-mbv3 (28x28x1 input, 10 classes) |"));
  EXPECT_TRUE(contains(md, "| dataset | fashion-mnist |"));
  EXPECT_TRUE(contains(md, "| run started | 2026-11-27T20:00:00Z |"));
  EXPECT_TRUE(contains(md, "| run finished | 2026-11-28T01:00:00Z |"));
  EXPECT_TRUE(contains(md, "120 features for ofa-mbv3"));
  EXPECT_TRUE(contains(md, "k in {3, 5, 7}, e in {3, 4, 6}: 120 features."));

  // Table 3: fit time, shifted RMSE %, raw RMSE %, tau, rho; NaN rho printed as n/a.
  EXPECT_TRUE(contains(md, "## Predictors (paper Table 3)"));
  EXPECT_TRUE(contains(md, "| gbdt (early predictor) | 0.021 | 0.41 | 3.12 | 0.712 | 0.880 |"))
      << md;
  EXPECT_TRUE(contains(md, "| random_forest | 0.500 | 0.63 | 4.02 | 0.654 | n/a |"));
  EXPECT_TRUE(contains(md, "same 800 training pairs (n_train) and scored on the same 200"));
  EXPECT_TRUE(contains(md, "`pairs.csv`: 20 architecture-accuracy pairs"));
  EXPECT_TRUE(contains(md, "mean 79.90%"));  // 0.78 + 0.002 * 9.5
  EXPECT_TRUE(contains(md,
                       "`predictor/heldout.csv`: 5 held-out pairs with predictions of "
                       "gbdt, random_forest."));
  EXPECT_TRUE(contains(md, "over 40 networks: Kendall τ"));
  {  // the within-interval tau, against the brute-force reference on the fixture's networks
    std::vector<double> predicted, measured;
    std::vector<int64_t> groups;
    for (const search::FamilyRow& r : run.family.rows()) {
      for (const search::SparseInterval& interval : run.sparse.intervals) {
        for (const search::SparseArch& a : interval.archs) {
          if (a.arch != r.arch) continue;
          predicted.push_back(a.predicted);
          measured.push_back(r.val_top1);
          groups.push_back(interval.index);
        }
      }
    }
    ASSERT_EQ(predicted.size(), 40u);
    const double tau = predictor::kendall_tau_within_groups_brute_force(predicted, measured, groups);
    EXPECT_TRUE(contains(md, "within MACs intervals (pairs of networks of one interval only, pooled) Kendall τ " +
                                 fixed(tau, 3)))
        << md;
  }
  // The pairs' noise beside their spread (values worked out in the fixture's comment).
  EXPECT_TRUE(contains(md, "| spread of the pairs (std over networks) | 0.25 |")) << md;
  EXPECT_TRUE(contains(md, "| noise of one accuracy, from the halves | 0.85 |"));
  EXPECT_TRUE(contains(md, "each network was evaluated on 2,000 images, split into halves of 1,000 and 1,000"));
  EXPECT_TRUE(contains(md, "**Warning:** the noise of one measurement (0.85 points) exceeds half the pairs' spread"));
  EXPECT_TRUE(contains(md, "| distinct predicted values | 40 |"));
  EXPECT_FALSE(contains(md, "distinct values to"));

  // Table 4: the teacher's core-hours are 480.3 / 3600 = 0.133; the total sums the three
  // training stages.
  EXPECT_TRUE(contains(md, "## Training stages and cost (paper Table 4)"));
  EXPECT_TRUE(contains(md, "| teacher | 1 | 3 | 1,400 | 0 | 179,200 | 249.1 | 0.133 |")) << md;
  EXPECT_TRUE(contains(md, "| supernet | 2 | 2 | 6,000 | 3,000 | 192,000 | 300.0 | 0.200 |"));
  EXPECT_TRUE(contains(md, "| **total** | | 7 | 9,400 | 3,000 | 499,200 | 649.1 | 0.383 |"));
  EXPECT_TRUE(contains(md, "| pairs | 50,000 | 10.0 | 0.010 |"));
  EXPECT_FALSE(contains(md, "| report (running)"));
  EXPECT_TRUE(contains(md, "All 7 stages (without the report): 689.1 s wall"));

  // Table 6: three bounds, the evolutionary search cost from the manifest.
  EXPECT_TRUE(contains(md, "## Search cost per query (paper Table 6)"));
  EXPECT_TRUE(contains(md, "| 250 ms |"));
  EXPECT_TRUE(contains(md, "(2000 predictor evaluations per interval)"));
  const auto [lo_it, hi_it] =
      std::minmax_element(run.family.rows().begin(), run.family.rows().end(),
                          [](const auto& a, const auto& b) { return a.macs < b.macs; });
  const int64_t lo = lo_it->macs, hi = hi_it->macs;
  char bound[64];
  std::snprintf(bound, sizeof(bound), "| %.2f | %.2f, 91.23 |", hi / 1e6, hi / 1e6);
  EXPECT_TRUE(contains(md, bound)) << bound;

  // Table 7: the best network within the whole range, and the teacher.
  EXPECT_TRUE(contains(md, "## Best networks at MACs budgets (paper Table 7)"));
  const search::FamilyRow best = *run.family.best_within(search::Bound::kMacs, hi);
  char row[160];
  std::snprintf(row, sizeof(row), "| %.2f | %.2f | %.2f | %.2f | 91.23 | 90.51 |", hi / 1e6,
                best.macs / 1e6, best.params / 1e6, best.latency_ms);
  EXPECT_TRUE(contains(md, row)) << row << "\n" << md;
  const double first_limit = lo + (hi - lo) / 5.0;
  const search::FamilyRow first = *run.family.best_within(search::Bound::kMacs, first_limit);
  std::snprintf(row, sizeof(row), "| %.2f | %.2f | %.2f |", first_limit / 1e6, first.macs / 1e6,
                first.params / 1e6);
  EXPECT_TRUE(contains(md, row)) << row;
  EXPECT_TRUE(contains(md, "| 91.34 | 90.87 |"));  // teacher val, test
  EXPECT_TRUE(contains(md, "test top-1 90.87%"));
  EXPECT_TRUE(contains(md, "`" + best.arch.to_string() + "`"));

  // Sparse space.
  EXPECT_TRUE(contains(md, "| networks | 40 |"));
  EXPECT_TRUE(
      contains(md, "| intervals | 160 of 100,000 MACs, from 3,000,000 to 19,000,000 MACs |"));
  EXPECT_TRUE(contains(md, "| unreachable intervals | 16 |"));
  EXPECT_TRUE(contains(md, "- 3,000,000 to 3,500,000 (5 intervals)"));
  EXPECT_TRUE(contains(md, "- 15,000,000 to 15,100,000 (1 interval)"));
  EXPECT_TRUE(contains(md, "- and 2 more"));

  // Training curves: proxy has no validation.
  EXPECT_TRUE(contains(md, "| teacher | 3 | 0.9000 | 70.00 | 80.00 | 80.00 | 37.50 s |"));
  EXPECT_TRUE(contains(md, "| proxy | 2 | 1.2000 | 60.00 | n/a | n/a | 25.00 s |"));

  EXPECT_TRUE(contains(md, "Plot not rendered (plots disabled)."));
  EXPECT_TRUE(contains(md, "## Warnings\n\nNone"));
}

TEST(ReportTest, RendersPngPlotsWithGnuplot) {
  if (!probe_gnuplot("gnuplot").available) GTEST_SKIP() << "gnuplot not installed";
  RunDir run;
  const ReportResult result = write_report(run.dir, fast_options(true));
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  ASSERT_EQ(result.plots.size(), 3u);
  const std::string md = read_file(result.markdown);
  for (const char* name : {"accuracy_vs_macs", "predicted_vs_measured", "training_curves"}) {
    const fs::path png = run.dir / (std::string(name) + ".png");
    EXPECT_TRUE(std::find(result.plots.begin(), result.plots.end(), png) != result.plots.end());
    EXPECT_TRUE(has_png_signature(png)) << png;
    EXPECT_GT(fs::file_size(png), 1000u);
    EXPECT_TRUE(fs::exists(run.dir / "plots" / (std::string(name) + ".gp")));
    EXPECT_TRUE(contains(md, "](" + std::string(name) + ".png)")) << name;
  }
  EXPECT_TRUE(fs::exists(run.dir / "plots" / "accuracy_vs_macs.dat"));
  EXPECT_FALSE(fs::exists(run.dir / "plots" / "accuracy_vs_macs.png"));  // moved to run_dir
  EXPECT_TRUE(temp_files_under(run.dir).empty());
}

// Issue 14: accuracy against the latency measured on each device (the paper's Fig. 7).
TEST(ReportTest, DrawsAccuracyAgainstLatencyPerDevice) {
  RunDir run;
  std::vector<rundir::LatencyRow> phone, watch;
  for (size_t i = 0; i < run.family.rows().size(); ++i) {
    rundir::LatencyRow r;
    r.network = static_cast<int64_t>(i);
    r.arch = run.family.rows()[i].arch;
    r.macs = run.family.rows()[i].macs;
    r.runtime = "libtorch";
    r.repeats = 1;
    r.median_ms = r.p90_ms = 1.0 + static_cast<double>(i);
    phone.push_back(r);
    r.median_ms = r.p90_ms = 10.0 + static_cast<double>(i);
    if (i % 2 == 0) watch.push_back(r);  // half the family measured there
  }
  rundir::write_latency_csv(rundir::device_latency_path(run.dir, "phone"), phone);
  rundir::write_latency_csv(rundir::device_latency_path(run.dir, "watch"), watch);
  const bool gnuplot = probe_gnuplot("gnuplot").available;
  const ReportResult result = write_report(run.dir, fast_options(gnuplot));
  const std::string md = read_file(result.markdown);
  EXPECT_TRUE(contains(md, "## Accuracy against latency per device")) << md;
  EXPECT_TRUE(contains(md, "`phone`, `watch`")) << md;
  if (gnuplot) {
    EXPECT_TRUE(has_png_signature(run.dir / "accuracy_vs_latency.png"));
    EXPECT_TRUE(contains(md, "](accuracy_vs_latency.png)")) << md;
    const std::string data = read_file(run.dir / "plots" / "accuracy_vs_latency.dat");
    // One block per device with one line per measured network.
    const size_t watch_at = data.find("# device watch\n");
    ASSERT_NE(watch_at, std::string::npos) << data;
    const std::string first = data.substr(0, watch_at), second = data.substr(watch_at);
    EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), static_cast<long>(phone.size()) + 2 + 2);
    EXPECT_EQ(std::count(second.begin(), second.end(), '\n'), static_cast<long>(watch.size()) + 2);
    const std::string script = read_file(run.dir / "plots" / "accuracy_vs_latency.gp");
    EXPECT_TRUE(contains(script, "index 1 using 1:2 with points pt 7 ps 0.7 title 'watch'")) << script;
  }
  // A corrupt device file is an error naming it, and report.md is left as it was.
  write_file_atomic(rundir::device_latency_path(run.dir, "broken"), "network,arch\n");
  const std::string e = error_of([&] { write_report(run.dir, fast_options(false)); });
  EXPECT_TRUE(contains(e, "broken.csv")) << e;
  EXPECT_EQ(read_file(result.markdown), md);
  // A device measured on another family (the family stage ran again since, e.g. on a latency
  // grid): left out with a warning, the report still written.
  fs::remove(rundir::device_latency_path(run.dir, "broken"));
  std::vector<rundir::LatencyRow> stale = {phone.front()};
  stale.front().arch.depths.front() = stale.front().arch.depths.front() == 2 ? 3 : 2;
  rundir::write_latency_csv(rundir::device_latency_path(run.dir, "stale"), stale);
  const ReportResult with_stale = write_report(run.dir, fast_options(false));
  EXPECT_TRUE(std::any_of(with_stale.warnings.begin(), with_stale.warnings.end(), [](const std::string& w) {
    return contains(w, "device stale is left out") && contains(w, "measured on another family");
  }));
  EXPECT_TRUE(contains(read_file(with_stale.markdown), "`phone`, `watch`"));
}

TEST(ReportTest, MissingGnuplotIsAWarningAndTheReportIsStillWritten) {
  RunDir run;
  ReportOptions options = fast_options(true);
  options.gnuplot = (run.temp.path() / "no-such-gnuplot").string();
  const ReportResult result = write_report(run.dir, options);
  EXPECT_TRUE(result.plots.empty());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_TRUE(contains(result.warnings[0], "not installed")) << result.warnings[0];
  const std::string md = read_file(result.markdown);
  EXPECT_TRUE(contains(md, "## Best networks at MACs budgets"));
  EXPECT_TRUE(contains(md, "- " + result.warnings[0]));
  EXPECT_FALSE(fs::exists(run.dir / "accuracy_vs_macs.png"));
}

TEST(ReportTest, FailingGnuplotIsAWarningWithItsExitStatusAndMessage) {
  RunDir run;
  // A stand-in that passes the terminal probe (-e) but fails on every script.
  const fs::path fake = run.temp.path() / "fake-gnuplot";
  write_file_atomic(fake,
                    "#!/bin/sh\nif [ \"$1\" = \"-e\" ]; then exit 0; fi\n"
                    "echo \"boom in $1\" >&2\nexit 3\n");
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  ReportOptions options = fast_options(true);
  options.gnuplot = fake.string();
  const ReportResult result = write_report(run.dir, options);
  EXPECT_TRUE(result.plots.empty());
  ASSERT_EQ(result.warnings.size(), 3u);
  EXPECT_TRUE(contains(result.warnings[0], "plots/accuracy_vs_macs.gp (exit status 3)"))
      << result.warnings[0];
  EXPECT_TRUE(contains(result.warnings[0], "boom in accuracy_vs_macs.gp"));
  const std::string md = read_file(result.markdown);
  EXPECT_TRUE(contains(md, "Plot not rendered (gnuplot failed on `plots/training_curves.gp`"));
}

TEST(ReportTest, MissingFamilyGivesNotAvailableNotes) {
  RunDir run;
  fs::remove(run.dir / "family.csv");
  const ReportResult result = write_report(run.dir, fast_options(false));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_TRUE(contains(result.warnings[0], "family.csv not found"));
  const std::string md = read_file(result.markdown);
  EXPECT_TRUE(contains(md, "Lookup cost: not available (`family.csv` not found)."));
  EXPECT_TRUE(contains(md,
                       "## Best networks at MACs budgets (paper Table 7)\n\nNot available "
                       "(`family.csv` not found)."));
  EXPECT_TRUE(contains(md, "Teacher (the largest network, trained alone): val top-1 91.34%"));
  EXPECT_TRUE(contains(md, "- family.csv not found:"));
  // The other tables are still there.
  EXPECT_TRUE(contains(md, "| teacher | 1 | 3 | 1,400 | 0 | 179,200 | 249.1 | 0.133 |"));
}

TEST(ReportTest, EmptyRunDirectoryGivesAReportOfNotAvailableSections) {
  test::TempDir temp;
  const ReportResult result = write_report(temp.path(), fast_options(true));
  EXPECT_EQ(result.warnings.size(), 11u);  // config, manifest, 6 artifacts, 3 histories
  EXPECT_TRUE(result.plots.empty());
  const std::string md = read_file(result.markdown);
  EXPECT_TRUE(contains(md, "| method | not recorded |"));
  EXPECT_TRUE(contains(md, "Not available (`predictors.csv` not found)."));
  EXPECT_TRUE(contains(md, "Not available (`manifest.json` not found)."));
  EXPECT_TRUE(contains(md, "Not available (`sparse_space.json` not found)."));
  EXPECT_TRUE(contains(md, "Not available (no `teacher/`, `proxy/` or `supernet/history.json`)."));
  EXPECT_TRUE(contains(md, "- teacher/history.json not found"));
}

TEST(ReportTest, CorruptInputsThrowErrorsNamingTheFile) {
  {
    RunDir run;
    write_file_atomic(run.dir / "manifest.json", "{ \"version\": 1, \"stages\": [");
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "manifest.json")) << message;
    EXPECT_FALSE(fs::exists(run.dir / "report.md"));
  }
  {
    RunDir run;
    json manifest = manifest_json();
    manifest["stages"][0]["wall_seconds"] = "long";
    write_json_file(run.dir / "manifest.json", manifest);
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "manifest.json")) << message;
    EXPECT_TRUE(contains(message, "stage 'teacher'.wall_seconds: expected a number")) << message;
  }
  {
    RunDir run;
    write_file_atomic(run.dir / "predictors.csv", "predictor,n_train\ngbdt,10\n");
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "predictors.csv")) << message;
    EXPECT_TRUE(contains(message, "no column 'n_heldout'")) << message;
  }
  {
    RunDir run;
    write_file_atomic(run.dir / "family.csv", "arch,macs\n\"{}\",12\n");
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "family.csv")) << message;
  }
  {
    RunDir run;
    write_json_file(run.dir / "supernet" / "history.json", json{{"epoch", 0}});
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "supernet/history.json")) << message;
  }
  {
    RunDir run;
    write_file_atomic(run.dir / "sparse_space.json", "{}");
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "sparse_space.json")) << message;
  }
  {
    RunDir run;
    write_file_atomic(run.dir / "predictor" / "heldout.csv", "arch,val_top1,gbdt\nx,0.5,high\n");
    const std::string message = error_of([&] { write_report(run.dir, fast_options(false)); });
    EXPECT_TRUE(contains(message, "heldout.csv:2, column 3 (gbdt): expected a number")) << message;
  }
}

TEST(ReportTest, RejectsAMissingRunDirectoryAndBadOptions) {
  test::TempDir temp;
  EXPECT_TRUE(contains(error_of([&] { write_report(temp.path() / "nope"); }),
                       "expected an existing directory"));
  ReportOptions options;
  options.lookup_rounds = 0;
  EXPECT_TRUE(contains(error_of([&] { write_report(temp.path(), options); }), "lookup_rounds"));
}

TEST(ReportTest, ReplacesReportMdAtomically) {
  RunDir run;
  write_file_atomic(run.dir / "report.md", "stale report\n");
  write_report(run.dir, fast_options(false));
  const std::string first = read_file(run.dir / "report.md");
  EXPECT_FALSE(contains(first, "stale report"));
  EXPECT_TRUE(contains(first, "# SparseNAS run report"));
  fs::remove(run.dir / "family.csv");
  write_report(run.dir, fast_options(false));
  EXPECT_TRUE(contains(read_file(run.dir / "report.md"), "`family.csv` not found"));
  EXPECT_TRUE(temp_files_under(run.dir).empty());
}

TEST(GnuplotTest, Quoting) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(gnuplot_quote("it's"), "'it''s'");
}

}  // namespace
}  // namespace sparsenas::report
