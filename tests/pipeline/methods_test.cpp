// Unit tests for src/sparsenas/pipeline/methods.h: the method tables, checked as data (no training).
#include "sparsenas/pipeline/methods.h"

#include <gtest/gtest.h>

#include <set>

#include "sparsenas/core/fs.h"
#include "sparsenas/pipeline/pipeline.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::pipeline {
namespace {

using nlohmann::json;

TEST(MethodsTest, StageListsAreTheDocumentedOnes) {
  // The lists of pipeline.h and docs/run-directory.md.
  EXPECT_EQ(stage_names("sparsenas"), (std::vector<std::string>{"teacher", "proxy", "pairs", "predictor",
                                                                 "sparse_space", "supernet", "family", "report"}));
  EXPECT_EQ(stage_names("ofa"),
            (std::vector<std::string>{"teacher", "kernel", "depth_warmup", "depth", "expand_warmup", "expand", "pairs",
                                      "predictor", "family_search", "family", "report"}));
  EXPECT_EQ(stage_names("compofa"),
            (std::vector<std::string>{"teacher", "compound_warmup", "compound", "family_list", "family", "report"}));
  EXPECT_EQ(stage_names("spos"), (std::vector<std::string>{"teacher", "supernet", "pairs", "predictor",
                                                            "family_search", "family", "report"}));
  EXPECT_EQ(stage_names("random-subspace"),
            (std::vector<std::string>{"teacher", "subspace", "supernet", "family", "report"}));
  EXPECT_EQ(stage_names("ofa-import"),
            (std::vector<std::string>{"import", "pairs", "predictor", "family_search", "family", "report"}));
  EXPECT_TRUE(method_has_stage("sparsenas", "proxy"));
  for (const char* m : {"ofa", "compofa", "spos", "random-subspace"}) EXPECT_FALSE(method_has_stage(m, "proxy")) << m;
  const std::string e = test::error_of([] { method_stages("darts"); });
  EXPECT_NE(e.find("unknown method \"darts\""), std::string::npos) << e;
  EXPECT_NE(e.find("random-subspace"), std::string::npos) << e;
}

TEST(MethodsTest, EveryTableReadsOnlyEarlierStagesAndWritesEachFileOnce) {
  for (const std::string& method : method_names()) {
    const std::vector<MethodStage> table = method_stages(method);
    std::set<std::string> before, written;
    for (const MethodStage& s : table) {
      for (const std::string& in : s.inputs) EXPECT_TRUE(before.count(in)) << method << ": " << s.name << " reads " << in;
      for (const std::string& out : s.outputs) EXPECT_TRUE(written.insert(out).second) << method << ": " << out;
      EXPECT_FALSE(s.outputs.empty()) << method << ": " << s.name;
      EXPECT_TRUE(s.config && s.body) << method << ": " << s.name;
      EXPECT_TRUE(before.insert(s.name).second) << method << ": " << s.name << " twice";
    }
    // Every method ends with the report (reading every stage) and hands search/export the same files.
    EXPECT_EQ(table.back().name, "report");
    EXPECT_EQ(table.back().inputs.size(), table.size() - 1) << method;
    for (const char* file : {"teacher.pt", "supernet.pt", "sparse_space.json", "family.csv", "report.md"}) {
      EXPECT_TRUE(written.count(file)) << method << " writes no " << file;
    }
  }
}

TEST(MethodsTest, AStageHashesItsOwnSectionAndNotTheRunSettings) {
  const RunConfig base = resolve_run_config("tiny", nullptr, nullptr);
  const RunConfig more_pairs = resolve_run_config("tiny", nullptr, json{{"pairs", {{"count", 17}}}});
  const RunConfig more_threads = resolve_run_config("tiny", nullptr, json{{"threads", 1}});
  for (const MethodStage& s : method_stages("sparsenas")) {
    EXPECT_EQ(s.config(base), s.config(more_threads)) << s.name << ": threads must not rerun a stage";
    EXPECT_EQ(s.config(base) != s.config(more_pairs), s.name == "pairs") << s.name;
  }
  EXPECT_NE(shared_settings(base), shared_settings(resolve_run_config("tiny", nullptr, json{{"width_mult", 1.2}})));
  EXPECT_EQ(shared_settings(base), shared_settings(more_pairs));
}

// Issue 14 item 3: sparse_space.constraint and latency_table were added after runs existed. At
// their defaults every grid stage hashes exactly the keys it hashed before (so finished runs stay
// finished); with constraint latency the table is hashed by content, not by path.
TEST(MethodsTest, TheLatencyConstraintIsHashedOnlyWhenOnAndByTheTablesContent) {
  auto stage_config = [](const std::string& method, const std::string& stage, const RunConfig& c) {
    for (const MethodStage& s : method_stages(method)) {
      if (s.name == stage) return s.config(c);
    }
    return json();
  };
  auto keys = [](const json& j) {
    std::set<std::string> out;
    for (const auto& [key, value] : j.items()) out.insert(key);
    return out;
  };
  const RunConfig base = resolve_run_config("tiny", nullptr, nullptr);
  const std::set<std::string> grid = {"min_macs", "max_macs", "interval", "top_k", "evolution", "num_intervals"};
  EXPECT_EQ(keys(stage_config("sparsenas", "sparse_space", base)), grid);
  EXPECT_EQ(keys(stage_config("ofa", "family_search", base)), grid);
  EXPECT_EQ(keys(stage_config("compofa", "family_list", base)), grid);
  EXPECT_EQ(keys(stage_config("random-subspace", "subspace", base)["grid"]), grid);

  test::TempDir dir;
  write_file_atomic(dir.path() / "a.json", "table bytes");
  write_file_atomic(dir.path() / "copy.json", "table bytes");
  write_file_atomic(dir.path() / "other.json", "other table bytes");
  auto latency = [&](const char* file) {
    return resolve_run_config(
        "tiny", nullptr,
        json{{"sparse_space", {{"constraint", "latency"}, {"latency_table", (dir.path() / file).string()}}}});
  };
  for (const auto& [method, stage] : std::vector<std::pair<std::string, std::string>>{
           {"sparsenas", "sparse_space"}, {"spos", "family_search"}, {"compofa", "family_list"}}) {
    EXPECT_NE(stage_config(method, stage, latency("a.json")), stage_config(method, stage, base)) << stage;
    EXPECT_EQ(stage_config(method, stage, latency("a.json")), stage_config(method, stage, latency("copy.json")))
        << stage;
    EXPECT_NE(stage_config(method, stage, latency("a.json")), stage_config(method, stage, latency("other.json")))
        << stage;
  }
  // The stages before the sparse space do not depend on it.
  for (const char* stage : {"teacher", "proxy", "pairs", "predictor"}) {
    EXPECT_EQ(stage_config("sparsenas", stage, latency("a.json")), stage_config("sparsenas", stage, base)) << stage;
  }
}

TEST(MethodsTest, ARankingPredictorIsHashedWithTheGridThatGroupsItsPairs) {
  test::TempDir dir;
  write_file_atomic(dir.path() / "a.json", "table bytes");
  auto predictor = [](const json& flags) {
    const RunConfig c = resolve_run_config("tiny", nullptr, flags);
    for (const MethodStage& s : method_stages("sparsenas")) {
      if (s.name == "predictor") return s.config(c);
    }
    return json();
  };
  const json ranking = {{"predictor", {{"early", {{"objective", "rank:pairwise"}}}}}};
  auto with = [](json a, const json& b) {
    a.merge_patch(b);
    return a;
  };
  const json coarser = {{"sparse_space_stage", {{"num_intervals", 2}}}};
  const json latency = {
      {"sparse_space", {{"constraint", "latency"}, {"latency_table", (dir.path() / "a.json").string()}}}};
  // The paper's regression does not group: the grid is not its input.
  EXPECT_EQ(predictor(coarser), predictor(json::object()));
  // A ranking objective ranks within the grid's intervals: another grid, another fit.
  EXPECT_NE(predictor(with(ranking, coarser)), predictor(ranking));
  EXPECT_NE(predictor(with(ranking, latency)), predictor(ranking));
}

TEST(MethodsTest, AReusedTeacherIsHashedByContentNotByPathOrRecipe) {
  test::TempDir dir;
  write_file_atomic(dir.path() / "a.pt", "teacher bytes");
  write_file_atomic(dir.path() / "copy.pt", "teacher bytes");
  write_file_atomic(dir.path() / "other.pt", "other teacher bytes");
  auto teacher_config = [](const json& flags) {
    for (const MethodStage& s : method_stages("sparsenas")) {
      if (s.name == "teacher") return s.config(resolve_run_config("tiny", nullptr, flags));
    }
    return json();
  };
  auto from = [&](const char* file, const json& more = json::object()) {
    json f = more;
    f["teacher_stage"]["from"] = (dir.path() / file).string();
    return teacher_config(f);
  };
  EXPECT_EQ(from("a.pt"), from("copy.pt"));  // the same content at another path
  EXPECT_NE(from("a.pt"), from("other.pt"));
  EXPECT_EQ(from("a.pt"), from("a.pt", json{{"teacher", {{"epochs", 9}}}}));  // the recipe is not used
  EXPECT_NE(from("a.pt"), teacher_config(json::object()));                 // a trained teacher differs
  EXPECT_NE(teacher_config(json::object()), teacher_config(json{{"teacher", {{"epochs", 9}}}}));
}

}  // namespace
}  // namespace sparsenas::pipeline
