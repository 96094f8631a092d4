// Every method of `sparsenas run` end to end with the tiny preset (issue 4), then `compare` over
// the runs (ofa-import on a random supernet written in OFA's format). One test (ctest runs each test in its own process, and the runs are shared).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/nn/ofa_state_dict.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/pipeline/check_selection.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/pipeline/space_stats.h"
#include "sparsenas/report/compare.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/checkpoint.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::pipeline {
namespace {

using rundir::Manifest;

namespace fs = std::filesystem;
using nlohmann::json;

using test::contains;

TEST(BaselinesTest, EveryMethodRunsEndToEndAndTheRunsCompare) {
  test::TempDir temp;
  std::map<std::string, fs::path> dirs;
  std::map<std::string, Manifest> manifests;
  for (const std::string& method : method_names()) {
    SCOPED_TRACE(method);
    json flags = {{"threads", 1}, {"method", method}};
    // compofa's family is its whole space (243 networks): no latency timing keeps the test short.
    if (method == "compofa") flags["family"] = {{"latency_repeats", 0}, {"bn_recal_images", 64}};
    if (method == "ofa-import") {
      // A random supernet of the tiny preset's space, as OFA's code would save it.
      space::SpaceOptions o;
      o.resolution = 28;
      o.in_channels = 1;
      o.num_classes = 10;
      nn::Supernet random(space::SearchSpace::from_name("ofa-mbv3", o));
      const fs::path ckpt = temp.path() / "ofa.pt";
      nn::write_state_dict_file(ckpt, nn::to_ofa_state_dict(*random));
      flags["import_ofa"] = {{"checkpoint", ckpt.string()}, {"checkpoint_hash", hash_file(ckpt)}};
    }
    const RunConfig config = resolve_run_config("tiny", nullptr, flags);
    const fs::path dir = temp.path() / method;
    const RunSummary summary = run_pipeline(config, dir);
    EXPECT_EQ(summary.ran, stage_names(method));
    for (const char* file : {"config.json", "teacher.pt", "supernet.pt", "sparse_space.json", "family.csv", "report.md"}) {
      EXPECT_TRUE(fs::exists(dir / file)) << file;
    }
    const Manifest m = Manifest::read(dir / "manifest.json");
    EXPECT_EQ(m.method, method);
    ASSERT_EQ(m.stages.size(), stage_names(method).size());
    for (const auto& s : m.stages) EXPECT_EQ(s.status, "done") << s.name;
    // A second call finds everything done.
    EXPECT_TRUE(run_pipeline(config, dir).ran.empty());
    dirs[method] = dir;
    manifests[method] = m;
  }

  // ofa: five phases with OFA's n_sub, each distilling from the teacher, chained through files;
  // the family is the best network per interval found after training.
  {
    const Manifest& m = manifests["ofa"];
    const std::map<std::string, int64_t> n_sub = {
        {"kernel", 1}, {"depth_warmup", 2}, {"depth", 2}, {"expand_warmup", 4}, {"expand", 4}};
    for (const auto& [phase, n] : n_sub) {
      ASSERT_NE(m.find(phase), nullptr) << phase;
      EXPECT_EQ(m.find(phase)->n_sub, n) << phase;
      EXPECT_GT(m.find(phase)->teacher_passes, 0) << phase;
      EXPECT_TRUE(fs::exists(dirs["ofa"] / phase / "history.json")) << phase;
    }
    for (const char* file : {"kernel.pt", "depth_warmup.pt", "depth.pt", "expand_warmup.pt", "pairs.csv"}) {
      EXPECT_TRUE(fs::exists(dirs["ofa"] / file)) << file;
    }
    const auto sparse = search::read_sparse_space(dirs["ofa"] / "sparse_space.json");
    EXPECT_EQ(sparse.size(), static_cast<int64_t>(sparse.intervals.size()));  // top_k 1
    EXPECT_EQ(search::FamilyTable::read_csv(dirs["ofa"] / "family.csv").size(), sparse.intervals.size());
    EXPECT_TRUE(m.find("family_search")->metrics.contains("seconds_per_interval"));
    EXPECT_TRUE(contains(read_file(dirs["ofa"] / "report.md"), "expand_warmup"));
  }

  // compofa: the whole coupled space (243 networks: per stage d -> e 2->3, 3->4, 4->6, kernels
  // [3, 5, 3, 3, 5]), trained without kernel transforms.
  {
    const auto family = search::FamilyTable::read_csv(dirs["compofa"] / "family.csv");
    EXPECT_EQ(family.size(), 243u);
    const int kernels[] = {3, 5, 3, 3, 5};
    const std::map<int, int> coupled = {{2, 3}, {3, 4}, {4, 6}};
    for (const auto& row : family.rows()) {
      size_t slot = 0;
      for (size_t stage = 0; stage < row.arch.depths.size(); ++stage) {
        const int d = row.arch.depths[stage];
        for (int b = 0; b < d; ++b) {
          EXPECT_EQ(row.arch.kernel_sizes[slot + b], kernels[stage]) << row.arch.to_string();
          EXPECT_EQ(row.arch.expand_ratios[slot + b], coupled.at(d)) << row.arch.to_string();
        }
        slot += 4;
      }
    }
    const Manifest& m = manifests["compofa"];
    EXPECT_EQ(m.find("compound_warmup")->n_sub, 4);
    EXPECT_EQ(m.find("compound")->n_sub, 4);
    // No transform matrices in the checkpoint: a supernet with them cannot load it ...
    const RunInfo run = read_run(dirs["compofa"]);
    nn::Supernet with_transforms(run.space);
    EXPECT_TRUE(contains(test::error_of([&] {
                           train::load_checkpoint(dirs["compofa"] / "supernet.pt", *with_transforms, nullptr, false);
                         }),
                         "weights do not match"));
    // ... and `search`/`export`/`space-stats` load it the run's way.
    const DeployableNetwork net = load_network(run, family.rows().front().arch);
    EXPECT_EQ(net.macs, family.rows().front().macs);
    EXPECT_EQ(compute_space_stats(dirs["compofa"], "sparse", {2}, 0).rows.size(), 1u);
    EXPECT_TRUE(contains(test::error_of([&] { compute_space_stats(dirs["compofa"], "proxy", {2}, 0); }),
                         "method compofa trains no proxy supernet"));
  }

  // spos: uniform over the whole space, then the family search; random-subspace: N networks.
  {
    const auto sparse = search::read_sparse_space(dirs["spos"] / "sparse_space.json");
    EXPECT_EQ(sparse.size(), static_cast<int64_t>(sparse.intervals.size()));
    EXPECT_EQ(manifests["spos"].find("supernet")->n_sub, 2);
    EXPECT_EQ(search::FamilyTable::read_csv(dirs["random-subspace"] / "family.csv").size(), 6u);
    EXPECT_EQ(manifests["random-subspace"].find("supernet")->metrics["networks"], 6);
  }

  // Every method starts from the same teacher weights (same recipe, same seed); compofa's file
  // holds no kernel transforms (the teacher never uses them).
  const RunInfo reference = read_run(dirs["sparsenas"]);
  nn::Supernet first(reference.space);
  train::load_checkpoint(dirs["sparsenas"] / "teacher.pt", *first, nullptr, false);
  for (const char* method : {"ofa", "compofa", "spos", "random-subspace"}) {
    nn::Supernet other(reference.space, nn::SupernetOptions{std::string(method) != "compofa"});
    train::load_checkpoint(dirs[method] / "teacher.pt", *other, nullptr, false);
    const auto theirs = other->named_parameters();
    for (const auto& p : first->named_parameters()) {
      const torch::Tensor* q = theirs.find(p.key());
      if (q == nullptr) continue;  // a kernel transform
      EXPECT_TRUE(torch::equal(p.value(), *q)) << method << " " << p.key();
    }
  }

  // A run directory keeps its method.
  const RunConfig other = resolve_run_config("tiny", nullptr, json{{"threads", 1}, {"method", "ofa"}});
  EXPECT_TRUE(contains(test::error_of([&] { run_pipeline(other, dirs["spos"]); }), "holds a run of method \"spos\""));

  // compare: every method, sparsenas the reference.
  std::vector<fs::path> runs;
  for (const auto& method : method_names()) runs.push_back(dirs[method]);
  report::CompareOptions options;
  options.plots = false;
  options.lookup_rounds = 3;
  const report::CompareResult result = report::write_comparison(runs, temp.path() / "compare", options);
  const json summary = read_json_file(result.json);
  EXPECT_EQ(summary["reference"], "sparsenas (sparsenas)");
  EXPECT_EQ(summary["runs"].size(), method_names().size());
  const std::string md = read_file(result.markdown);
  for (const auto& method : method_names()) EXPECT_TRUE(contains(md, method + " (" + method + ")")) << method;
  // Every family kept its per-image correctness on the same test images, so every difference has
  // a bootstrap interval around its value.
  for (const auto& method : method_names()) EXPECT_TRUE(fs::exists(dirs[method] / "family_correct.json")) << method;
  for (size_t i = 1; i < summary["runs"].size(); ++i) {
    const json& mean = summary["runs"][i]["vs_reference"]["mean"];
    ASSERT_TRUE(mean["ci95"].is_array()) << summary["runs"][i]["vs_reference"].dump();
    EXPECT_LE(mean["ci95"][0].get<double>(), mean["value"].get<double>() + 1e-12);
    EXPECT_GE(mean["ci95"][1].get<double>(), mean["value"].get<double>() - 1e-12);
  }
  {  // family_correct.json agrees with family.csv
    const auto bits = rundir::read_image_correctness(dirs["sparsenas"] / "family_correct.json");
    const auto rows = search::FamilyTable::read_csv(dirs["sparsenas"] / "family.csv").rows();
    ASSERT_EQ(bits.networks.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& t = bits.bits(i, "test");
      EXPECT_NEAR(std::count(t.begin(), t.end(), 1) / static_cast<double>(t.size()), rows[i].test_top1, 1e-12);
    }
  }

  // check-selection: the sparsenas run's sparse space against random networks on spos's supernet.
  CheckSelectionOptions check;
  check.bootstrap_resamples = 200;
  const CheckSelectionResult checked = check_selection(dirs["sparsenas"], dirs["spos"], check);
  const json written = read_json_file(dirs["sparsenas"] / "check_selection.json");
  EXPECT_FALSE(fs::exists(dirs["sparsenas"] / "check_selection.partial.json"));
  const auto sparse = search::read_sparse_space(dirs["sparsenas"] / "sparse_space.json");
  ASSERT_EQ(checked.intervals.size() + checked.skipped.size(), sparse.intervals.size());
  ASSERT_FALSE(checked.intervals.empty());
  double sum = 0;
  for (size_t k = 0; k < checked.intervals.size(); ++k) {
    // As many random networks as selected ones, each in the interval's MACs range.
    double sel = 0, rnd = 0;
    int n_sel = 0, n_rnd = 0;
    for (const auto& n : checked.networks) {
      if (n.interval != checked.intervals[k].index) continue;
      EXPECT_GE(n.macs, checked.intervals[k].min_macs);
      EXPECT_LT(n.macs, checked.intervals[k].max_macs);
      (n.selected ? sel : rnd) += n.top1;
      ++(n.selected ? n_sel : n_rnd);
    }
    EXPECT_EQ(n_sel, n_rnd);
    EXPECT_EQ(n_sel, checked.intervals[k].networks);
    EXPECT_NEAR(checked.stats.intervals[k].difference, sel / n_sel - rnd / n_rnd, 1e-12);
    sum += sel / n_sel - rnd / n_rnd;
  }
  EXPECT_NEAR(written["overall"]["difference"]["value"].get<double>(), sum / checked.intervals.size(), 1e-12);
  ASSERT_TRUE(written["overall"]["difference"]["ci95"].is_array());
  EXPECT_LE(written["overall"]["difference"]["ci95"][0].get<double>(), sum / checked.intervals.size() + 1e-12);
  // Errors: clear and nothing written.
  fs::remove(dirs["sparsenas"] / "check_selection.json");
  EXPECT_TRUE(contains(test::error_of([&] { check_selection(dirs["sparsenas"], dirs["compofa"], check); }),
                       "give an spos, ofa or ofa-import run"));
  const fs::path no_sparse = temp.path() / "no-sparse";
  fs::create_directories(no_sparse);
  fs::copy_file(dirs["sparsenas"] / "config.json", no_sparse / "config.json");
  EXPECT_TRUE(contains(test::error_of([&] { check_selection(no_sparse, dirs["spos"], check); }),
                       "no sparse_space.json"));
  const fs::path other_space = temp.path() / "other-space";
  fs::create_directories(other_space);
  fs::copy_file(dirs["sparsenas"] / "config.json", other_space / "config.json");
  {  // the same space at 32x32: one network, in an interval of its own
    search::SparseSpace at32 = sparse;
    at32.space.resolution = 32;
    const space::SearchSpace sp32(at32.space);
    const space::Arch arch = sparse.intervals.front().archs.front().arch;
    const int64_t macs = sp32.macs(arch);
    at32.intervals = {search::SparseInterval{0, macs, macs + 1, {{arch, macs, sp32.params(arch), 0.5}}, 1}};
    at32.unreachable.clear();
    search::write_sparse_space(other_space / "sparse_space.json", at32);
  }
  const std::string differ = test::error_of([&] { check_selection(other_space, dirs["spos"], check); });
  EXPECT_TRUE(contains(differ, "different search spaces")) << differ;
  EXPECT_TRUE(contains(differ, "resolution 32 vs 28")) << differ;
  for (const fs::path& d : {dirs["sparsenas"], no_sparse, other_space}) {
    EXPECT_FALSE(fs::exists(d / "check_selection.json")) << d;
    EXPECT_FALSE(fs::exists(d / "check_selection.partial.json")) << d;
  }
}

}  // namespace
}  // namespace sparsenas::pipeline
