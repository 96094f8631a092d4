// Unit tests for src/sparsenas/report/compare.h: two hand-made run directories, the per-interval
// differences recomputed here by brute force.
#include "sparsenas/report/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"
#include "sparsenas/rundir/image_correctness.h"
#include "support/error_of.h"
#include "support/fashion_space.h"
#include "support/temp_dir.h"

namespace sparsenas::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::fashion_space;

json stage(const std::string& name, double wall, int64_t epochs, int64_t n_sub, int64_t passes) {
  return json{{"name", name},       {"status", "done"},    {"wall_seconds", wall}, {"core_seconds", 2 * wall},
              {"epochs", epochs},   {"n_sub", n_sub},      {"subnet_passes", passes},
              {"metrics", json::object()}};
}

constexpr int64_t kInterval = 1'000'000;

// A finished run: config, manifest with the given stages, family.csv; a sparse_space.json whose
// grid starts at `grid_min` when `predicted` is given (one predicted value per family row).
void write_run(const fs::path& dir, const std::string& method, const std::vector<json>& stages,
               const std::vector<search::FamilyRow>& rows, const std::vector<double>& predicted, int64_t grid_min) {
  fs::create_directories(dir);
  write_json_file(dir / "config.json", json{{"method", method}, {"preset", "hand"}, {"seed", 3}});
  write_json_file(dir / "manifest.json", json{{"version", 1}, {"method", method}, {"stages", stages}});
  search::FamilyTable(rows).write_csv(dir / "family.csv");
  if (predicted.empty()) return;
  const space::SearchSpace space = fashion_space();
  search::SparseSpace sparse;
  sparse.space = space.spec();
  sparse.config.min_macs = grid_min;
  sparse.config.interval = kInterval;
  sparse.config.max_macs = grid_min + 20 * kInterval;
  std::map<int64_t, search::SparseInterval> buckets;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t k = (rows[i].macs - grid_min) / kInterval;
    auto& interval = buckets[k];
    interval.index = k;
    interval.min_macs = grid_min + k * kInterval;
    interval.max_macs = interval.min_macs + kInterval;
    interval.archs.push_back({rows[i].arch, rows[i].macs, rows[i].params, predicted[i]});
  }
  for (auto& [k, interval] : buckets) sparse.intervals.push_back(interval);
  search::write_sparse_space(dir / "sparse_space.json", sparse);
}

TEST(CompareTest, DifferencesPerIntervalCostsAndRankingMatchABruteForceCount) {
  const space::SearchSpace space = fashion_space();
  Rng rng(11);
  std::vector<space::Arch> archs = space.sample_distinct(14, rng);
  // The smallest network goes to the other run, below the reference's grid: the grid widens.
  std::sort(archs.begin(), archs.end(), [&](const auto& x, const auto& y) { return space.macs(x) < space.macs(y); });
  std::vector<search::FamilyRow> ref_rows, other_rows;
  for (size_t i = 0; i < archs.size(); ++i) {
    search::FamilyRow r;
    r.arch = space.canonical(archs[i]);
    r.macs = space.macs(r.arch);
    r.params = space.params(r.arch);
    r.latency_ms = 1.0;
    r.val_top1 = 0.5 + 0.01 * static_cast<double>(i);
    r.test_top1 = 0.6 + 0.37 * std::fmod(0.618 * static_cast<double>(i), 1.0);
    (i % 2 ? ref_rows : other_rows).push_back(r);
  }
  // The reference's predictor ranked its networks in the order of their test accuracy except one
  // swapped pair.
  std::vector<double> predicted;
  for (const auto& r : ref_rows) predicted.push_back(r.test_top1);
  std::swap(predicted[0], predicted[1]);
  const int64_t lo = other_rows.front().macs;
  const int64_t grid_min = ref_rows.front().macs;
  ASSERT_LT(lo, grid_min);

  test::TempDir temp;
  const fs::path a = temp.path() / "a", b = temp.path() / "b";
  // compofa's host ran twice as fast: its teacher took half the reference's teacher wall.
  write_run(b, "compofa", {stage("teacher", 50, 3, 1, 30), stage("compound_warmup", 20, 1, 4, 40),
                           stage("compound", 60, 3, 4, 120), stage("family", 5, 0, 0, 0)},
            other_rows, {}, 0);
  write_run(a, "sparsenas", {stage("teacher", 100, 3, 1, 30), stage("proxy", 10, 1, 2, 20), stage("pairs", 7, 0, 0, 0),
                             stage("supernet", 30, 1, 3, 30), stage("report", 1, 0, 0, 0)},
            ref_rows, predicted, grid_min);

  CompareOptions options;
  options.plots = false;
  options.lookup_rounds = 3;
  options.lookup_queries_per_round = 5;
  const fs::path out = temp.path() / "out";
  // The sparsenas run is the reference although it is given second.
  const CompareResult result = write_comparison({b, a}, out, options);
  ASSERT_TRUE(fs::exists(result.markdown));
  const json summary = read_json_file(result.json);
  EXPECT_EQ(summary["reference"], "sparsenas (a)");
  ASSERT_EQ(summary["runs"].size(), 2u);
  const json& other = summary["runs"][0];
  EXPECT_EQ(other["label"], "compofa (b)");

  // Brute force: interval of each row on the grid widened downwards by whole intervals.
  const int64_t start = grid_min - (grid_min - lo + kInterval - 1) / kInterval * kInterval;
  std::map<int64_t, std::vector<double>> in_ref, in_other;
  for (const auto& r : ref_rows) in_ref[(r.macs - start) / kInterval].push_back(r.test_top1);
  for (const auto& r : other_rows) in_other[(r.macs - start) / kInterval].push_back(r.test_top1);
  // Picked: the test accuracy of the row with the highest validation accuracy in the interval.
  auto picked_in = [&](const std::vector<search::FamilyRow>& rows, int64_t k) {
    const search::FamilyRow* top = nullptr;
    for (const auto& r : rows) {
      if ((r.macs - start) / kInterval == k && (!top || r.val_top1 > top->val_top1)) top = &r;
    }
    return top->test_top1;
  };
  double sum_mean = 0, sum_best = 0, sum_picked = 0;
  bool picked_differs_from_best = false;
  int shared = 0;
  for (const auto& [k, ref_acc] : in_ref) {
    const auto it = in_other.find(k);
    if (it == in_other.end()) continue;
    auto mean = [](const std::vector<double>& v) {
      double s = 0;
      for (double x : v) s += x;
      return s / v.size();
    };
    auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
    sum_mean += mean(it->second) - mean(ref_acc);
    sum_best += best(it->second) - best(ref_acc);
    sum_picked += picked_in(other_rows, k) - picked_in(ref_rows, k);
    picked_differs_from_best = picked_differs_from_best || picked_in(ref_rows, k) != best(ref_acc) ||
                               picked_in(other_rows, k) != best(it->second);
    ++shared;
  }
  ASSERT_GT(shared, 0) << "the fixture must share at least one interval";
  EXPECT_EQ(other["shared_intervals"], shared);
  EXPECT_NEAR(other["delta_mean_vs_reference"].get<double>(), sum_mean / shared, 1e-12);
  EXPECT_NEAR(other["delta_best_vs_reference"].get<double>(), sum_best / shared, 1e-12);
  EXPECT_NEAR(other["delta_picked_vs_reference"].get<double>(), sum_picked / shared, 1e-12);
  EXPECT_TRUE(picked_differs_from_best) << "the fixture must tell picked from best";

  // Table 4: training stages after the teacher; compofa 80 s vs sparsenas 40 s.
  EXPECT_DOUBLE_EQ(other["training_wall_seconds"].get<double>(), 80.0);
  EXPECT_DOUBLE_EQ(other["training_wall_ratio"].get<double>(), 2.0);
  // Per own teacher: compofa 80 / 50, sparsenas 40 / 100.
  EXPECT_DOUBLE_EQ(other["training_wall_ratio_teacher_normalised"].get<double>(), (80.0 / 50) / (40.0 / 100));
  EXPECT_EQ(other["subnet_passes"], 160);
  EXPECT_DOUBLE_EQ(summary["runs"][1]["training_wall_ratio"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(summary["runs"][1]["other_wall_seconds"].get<double>(), 7.0);  // pairs; not the report

  // Ranking: Kendall tau (no ties here) counted pair by pair.
  double concordant = 0, discordant = 0;
  for (size_t i = 0; i < ref_rows.size(); ++i) {
    for (size_t j = i + 1; j < ref_rows.size(); ++j) {
      const double s = (predicted[i] - predicted[j]) * (ref_rows[i].test_top1 - ref_rows[j].test_top1);
      (s > 0 ? concordant : discordant) += 1;
    }
  }
  EXPECT_NEAR(summary["runs"][1]["predictor_tau_test"].get<double>(),
              (concordant - discordant) / (concordant + discordant), 1e-12);
  EXPECT_GT(discordant, 0);
  EXPECT_FALSE(other.contains("predictor_tau_test"));  // compofa chose nothing by prediction

  const std::string md = read_file(result.markdown);
  for (const char* part : {"Table 4", "Table 6", "compound_warmup", "Kendall", "compofa (b) − sparsenas (a)"}) {
    EXPECT_NE(md.find(part), std::string::npos) << part;
  }
}

// family_correct.json for `rows`: network i is right on `hits[i]` of `n` test images, starting at
// image 7 * i (wrapping), and on every validation image.
void write_bits(const fs::path& dir, const std::vector<search::FamilyRow>& rows, int n, const std::vector<int>& hits,
                const std::string& fingerprint = "same") {
  rundir::ImageCorrectness c;
  c.splits = {{"test", {n, fingerprint}}, {"val", {2, "v"}}};
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<uint8_t> bits(n, 0);
    for (int j = 0; j < hits[i]; ++j) bits[(j + 7 * i) % n] = 1;
    c.networks.push_back({rows[i].arch, {{"test", bits}, {"val", {1, 1}}}});
  }
  rundir::write_image_correctness(dir / "family_correct.json", c);
}

TEST(CompareTest, BootstrapIntervalsZeroForIdenticalRunsCoverAKnownShiftAndNeedTheSameTestImages) {
  const space::SearchSpace space = fashion_space();
  Rng rng(5);
  std::vector<space::Arch> archs = space.sample_distinct(8, rng);
  std::sort(archs.begin(), archs.end(), [&](const auto& x, const auto& y) { return space.macs(x) < space.macs(y); });
  const int n = 100;
  std::vector<search::FamilyRow> rows;
  std::vector<int> hits, more;
  for (size_t i = 0; i < archs.size(); ++i) {
    search::FamilyRow r;
    r.arch = space.canonical(archs[i]);
    r.macs = space.macs(r.arch);
    r.params = space.params(r.arch);
    r.val_top1 = 0.5 + 0.01 * static_cast<double>(i % 3);
    hits.push_back(60 + static_cast<int>(i % 4));
    more.push_back(hits.back() + 10);  // +10 points for every network
    r.test_top1 = hits.back() / static_cast<double>(n);
    rows.push_back(r);
  }
  std::vector<search::FamilyRow> shifted = rows;
  for (size_t i = 0; i < rows.size(); ++i) shifted[i].test_top1 = more[i] / static_cast<double>(n);
  std::vector<double> predicted(rows.size(), 0.5);
  const std::vector<json> stages = {stage("teacher", 10, 1, 1, 1), stage("supernet", 10, 1, 1, 1)};

  test::TempDir temp;
  const fs::path ref = temp.path() / "ref", same = temp.path() / "same", shift = temp.path() / "shift",
                 other = temp.path() / "other", old = temp.path() / "old";
  write_run(ref, "sparsenas", stages, rows, predicted, rows.front().macs);
  write_bits(ref, rows, n, hits);
  write_run(same, "random-subspace", stages, rows, {}, 0);
  write_bits(same, rows, n, hits);
  write_run(shift, "compofa", stages, shifted, {}, 0);
  write_bits(shift, shifted, n, more);
  write_run(other, "ofa", stages, rows, {}, 0);
  write_bits(other, rows, n, hits, "other images");
  write_run(old, "compofa", stages, shifted, {}, 0);  // no family_correct.json

  CompareOptions options;
  options.plots = false;
  options.lookup_rounds = 1;
  options.lookup_queries_per_round = 1;
  options.bootstrap_resamples = 400;
  const CompareResult result = write_comparison({ref, same, shift, other, old}, temp.path() / "out", options);
  const json summary = read_json_file(result.json);
  const json& runs = summary["runs"];

  // Identical runs: every difference and every interval is exactly 0.
  const json& s = runs[1]["vs_reference"];
  for (const char* stat : {"mean", "best", "picked"}) {
    EXPECT_EQ(s[stat]["value"].get<double>(), 0.0) << stat;
    EXPECT_EQ(s[stat]["ci95"], json::array({0.0, 0.0})) << stat;
  }
  ASSERT_GT(s["intervals"].size(), 0u);
  for (const auto& in : s["intervals"]) EXPECT_EQ(in["mean"]["ci95"], json::array({0.0, 0.0}));

  // A known shift of +10 points: estimated exactly, covered, and away from 0.
  const json& k = runs[2]["vs_reference"];
  for (const char* stat : {"mean", "best", "picked"}) {
    EXPECT_NEAR(k[stat]["value"].get<double>(), 0.10, 1e-12) << stat;
    const double lo = k[stat]["ci95"][0].get<double>(), hi = k[stat]["ci95"][1].get<double>();
    EXPECT_LE(lo, 0.10) << stat;
    EXPECT_GE(hi, 0.10) << stat;
    EXPECT_GT(lo, 0.0) << stat;
  }

  // Other test images, or no per-image correctness: compared, but without an interval, and said why.
  EXPECT_TRUE(runs[3]["vs_reference"]["mean"]["ci95"].is_null());
  EXPECT_TRUE(test::contains(runs[3]["vs_reference"]["no_ci_reason"].get<std::string>(), "test images differ"));
  EXPECT_NEAR(runs[3]["vs_reference"]["mean"]["value"].get<double>(), 0.0, 1e-12);
  EXPECT_TRUE(runs[4]["vs_reference"]["mean"]["ci95"].is_null());
  EXPECT_TRUE(test::contains(runs[4]["vs_reference"]["no_ci_reason"].get<std::string>(), "family_correct.json"));

  // Two compofa runs: pooled per method, with the seed spread (both runs +10: sd 0) and no interval
  // because one of them has no per-image correctness.
  ASSERT_TRUE(summary.contains("methods"));
  const json* pooled = nullptr;
  for (const auto& m : summary["methods"]) {
    if (test::contains(m["comparison"].get<std::string>(), "compofa")) pooled = &m;
  }
  ASSERT_NE(pooled, nullptr);
  EXPECT_EQ((*pooled)["runs"], 2);
  EXPECT_NEAR((*pooled)["mean"]["value"].get<double>(), 0.10, 1e-12);
  EXPECT_NEAR((*pooled)["seed_sd_delta_mean"].get<double>(), 0.0, 1e-12);
  EXPECT_TRUE((*pooled)["mean"]["ci95"].is_null());

  // Every sparsenas network is 10 points below the compofa curve through the same MACs.
  EXPECT_EQ(summary["share_above_compofa_curve"]["above"], 0);
  EXPECT_GT(summary["share_above_compofa_curve"]["compared"].get<int>(), 0);
  // The slope: a direct least-squares fit of the reference's points on log2 MACs.
  const double slope = runs[0]["slope_vs_log2_macs"]["value"].get<double>();
  std::vector<double> x, y;
  for (const auto& r : rows) {
    x.push_back(std::log2(static_cast<double>(r.macs)));
    y.push_back(r.test_top1);
  }
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / x.size();
    my += y[i] / y.size();
  }
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  EXPECT_NEAR(slope, sxy / sxx, 1e-9);
  const std::string md = read_file(result.markdown);
  for (const char* part : {"[+0.00, +0.00]", "seeds pooled", "Pareto front", "points per doubling"}) {
    EXPECT_TRUE(test::contains(md, part)) << part;
  }
}

// A teacher stage with teacher.pt's hash; `from` set: reused (teacher_stage.from), not trained.
json teacher_stage(const std::string& hash, double wall, int64_t epochs, const json& from = nullptr) {
  json t = stage("teacher", wall, epochs, 1, 10 * epochs);
  t["output_hash"] = hash;
  if (!from.is_null()) t["metrics"] = from;
  return t;
}

TEST(CompareTest, ASharedTeacherIsCountedOnceAndSaidSo) {
  const space::SearchSpace space = fashion_space();
  search::FamilyRow row;
  row.arch = space.max_arch();
  row.macs = space.macs(row.arch);
  row.params = space.params(row.arch);
  row.val_top1 = 0.8;
  row.test_top1 = 0.8;
  test::TempDir temp;
  const fs::path a = temp.path() / "a", b = temp.path() / "b", c = temp.path() / "c", d = temp.path() / "d";
  // a trains teacher T1 and b reuses it; c trains its own T2; d reuses T3, trained elsewhere.
  write_run(a, "sparsenas", {teacher_stage("t1", 100, 3), stage("supernet", 30, 1, 3, 30)}, {row}, {}, 0);
  write_run(b, "compofa",
            {teacher_stage("t1", 0.5, 0, json{{"from", (a / "teacher.pt").string()}, {"source_wall_seconds", 100}}),
             stage("compound", 60, 3, 4, 120)},
            {row}, {}, 0);
  write_run(c, "ofa", {teacher_stage("t2", 80, 3), stage("kernel", 40, 3, 1, 30)}, {row}, {}, 0);
  write_run(d, "random-subspace",
            {teacher_stage("t3", 0.5, 0, json{{"from", "/x/teacher.pt"}, {"source_wall_seconds", 500}, {"source_epochs", 28}}),
             stage("supernet", 20, 1, 3, 30)},
            {row}, {}, 0);
  CompareOptions options;
  options.plots = false;
  options.lookup_rounds = 1;
  options.lookup_queries_per_round = 1;
  const CompareResult result = write_comparison({a, b, c, d}, temp.path() / "out", options);
  const json summary = read_json_file(result.json);
  ASSERT_EQ(summary["teachers"].size(), 3u);
  const json& t1 = summary["teachers"][0];
  EXPECT_EQ(t1["hash"], "t1");
  EXPECT_EQ(t1["runs"], (json{"sparsenas (a)", "compofa (b)"}));
  EXPECT_EQ(t1["trained_by"], "sparsenas (a)");
  EXPECT_TRUE(t1["shared"].get<bool>());
  EXPECT_DOUBLE_EQ(t1["wall_seconds"].get<double>(), 100.0);  // once, not 100 + b's copy
  EXPECT_FALSE(summary["teachers"][1]["shared"].get<bool>());
  EXPECT_EQ(summary["teachers"][2]["trained_by"], "file /x/teacher.pt");
  EXPECT_EQ(summary["teachers"][2]["epochs"], 28);
  // Training without teachers 30 + 60 + 40 + 20, teachers 100 + 80 + 500 once each.
  EXPECT_DOUBLE_EQ(summary["comparison_training_wall_seconds"].get<double>(), 150.0 + 680.0);
  EXPECT_TRUE(summary["runs"][1]["teacher_reused"].get<bool>());
  EXPECT_FALSE(summary["runs"][0]["teacher_reused"].get<bool>());
  // A reused teacher's wall says nothing of its run's host: no teacher-normalised ratio.
  EXPECT_TRUE(summary["runs"][1]["training_wall_ratio_teacher_normalised"].is_null());
  EXPECT_DOUBLE_EQ(summary["runs"][2]["training_wall_ratio_teacher_normalised"].get<double>(), (40.0 / 80) / (30.0 / 100));
  const std::string md = read_file(result.markdown);
  for (const char* part : {"Teachers (each counted once)", "4 runs use 3 teachers", "| reused |", "`t1`"}) {
    EXPECT_NE(md.find(part), std::string::npos) << part << "\n" << md;
  }
}

TEST(CompareTest, AnUnfinishedRunIsAnErrorNamingTheFileAndNothingIsWritten) {
  test::TempDir temp;
  const fs::path run = temp.path() / "r";
  fs::create_directories(run);
  write_json_file(run / "config.json", json{{"method", "ofa"}});
  write_json_file(run / "manifest.json", json{{"version", 1}, {"method", "ofa"}, {"stages", json::array()}});
  const fs::path out = temp.path() / "out";
  try {
    write_comparison({run}, out);
    ADD_FAILURE() << "accepted a run without family.csv";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("family.csv"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / "compare.md"));
  EXPECT_THROW(write_comparison({}, out), Error);
  EXPECT_THROW(write_comparison({temp.path() / "none"}, out), Error);
}

}  // namespace
}  // namespace sparsenas::report
