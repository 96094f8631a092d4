// Unit tests for src/sparsenas/pipeline/teacher_source.h and `teacher_stage.from` in run_pipeline:
// a reused teacher is copied, not trained; downstream stages see the same inputs as in the run
// that trained it; another teacher reruns everything; a teacher that does not fit is refused,
// naming the field, before anything is written.
#include "sparsenas/pipeline/teacher_source.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/pipeline/run_context.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using rundir::Manifest;
using rundir::StageRecord;
using test::contains;
using test::error_of;

RunConfig tiny(const json& flags = json::object()) {
  json f = flags;
  f["threads"] = 1;
  return resolve_run_config("tiny", nullptr, f);
}

// A teacher checkpoint as the teacher stage or `sparsenas train --arch max` writes it: the
// largest network of `space` trained to epoch `epoch` of `epochs`.
struct TeacherSpec {
  space::SpaceOptions options{28, 1, 10, 1.0};
  std::string space = "ofa-mbv3";
  bool kernel_transform = true;
  int64_t epoch = 1, epochs = 1;
  bool largest = true;
};

void write_teacher(const fs::path& path, const TeacherSpec& spec) {
  const space::SearchSpace sp = space::SearchSpace::from_name(spec.space, spec.options);
  torch::manual_seed(7);
  nn::Supernet net(sp, nn::SupernetOptions{spec.kernel_transform});
  train::CheckpointMeta meta;
  meta.state.epoch = spec.epoch;
  meta.config = json{{"epochs", spec.epochs}};
  meta.sampler = spec.largest ? train::FixedSampler(sp.max_arch()).describe() : train::UniformSampler(sp).describe();
  train::save_checkpoint(path, *net, nullptr, meta);
}

// Refused by run_pipeline before anything is written: the error, and `out` still absent.
std::string refused(const fs::path& teacher, const fs::path& out, const json& flags = json::object()) {
  json f = flags;
  f["teacher_stage"]["from"] = teacher.string();
  const RunConfig config = tiny(f);
  const std::string e = error_of([&] { run_pipeline(config, out); });
  EXPECT_FALSE(fs::exists(out)) << "something was written for " << teacher;
  return e;
}

TEST(TeacherSourceTest, RefusesATeacherOfAnotherSpaceNamingTheField) {
  test::TempDir dir;
  struct Case {
    const char* name;
    TeacherSpec spec;
    std::vector<std::string> expected;  // parts of the message
  };
  std::vector<Case> cases;
  TeacherSpec s;
  s.options.resolution = 32;
  cases.push_back({"resolution", s, {"resolution must be 28", "got 32"}});
  s = TeacherSpec{};
  s.options.in_channels = 3;
  cases.push_back({"channels", s, {"in_channels (image channels) must be 1", "got 3"}});
  s = TeacherSpec{};
  s.options.num_classes = 100;
  cases.push_back({"classes", s, {"num_classes (classes) must be 10", "got 100"}});
  s = TeacherSpec{};
  s.options.width_mult = 1.2;
  cases.push_back({"width", s, {"width_mult must be 1", "got 1.2"}});
  s = TeacherSpec{};
  s.space = "proxyless";
  cases.push_back({"space", s, {"space must be \"ofa-mbv3\"", "got \"proxyless\""}});
  s = TeacherSpec{};
  s.epoch = 0;
  s.epochs = 3;
  cases.push_back({"unfinished", s, {"has not finished (epoch 0 of 3)"}});
  s = TeacherSpec{};
  s.largest = false;
  cases.push_back({"not the largest", s, {"largest network trained alone", "uniform over"}});
  for (const Case& c : cases) {
    const fs::path teacher = dir.path() / (std::string(c.name) + ".pt");
    write_teacher(teacher, c.spec);
    const std::string e = refused(teacher, dir.path() / "run");
    EXPECT_TRUE(contains(e, "teacher_stage.from")) << c.name << ": " << e;
    EXPECT_TRUE(contains(e, teacher.string())) << c.name << ": " << e;
    for (const auto& part : c.expected) EXPECT_TRUE(contains(e, part)) << c.name << ": " << e;
  }
  // The same checkpoint fits a run with the teacher's settings: the field, not the file, was wrong.
  const RunConfig wide = tiny(json{{"width_mult", 1.2}});
  RunContext ctx(wide, dir.path() / "unused");
  EXPECT_NO_THROW(check_teacher_source(resolve_teacher_source((dir.path() / "width.pt").string()), ctx));
  EXPECT_FALSE(fs::exists(dir.path() / "unused"));
}

TEST(TeacherSourceTest, RefusesMissingPathsAndDirectoriesWithoutATeacher) {
  test::TempDir dir;
  std::string e = refused(dir.path() / "nowhere", dir.path() / "run");
  EXPECT_TRUE(contains(e, "no such file or directory")) << e;
  fs::create_directories(dir.path() / "empty");
  e = refused(dir.path() / "empty", dir.path() / "run");
  EXPECT_TRUE(contains(e, "neither teacher.pt")) << e;
  write_file_atomic(dir.path() / "junk.pt", "not a checkpoint");
  e = refused(dir.path() / "junk.pt", dir.path() / "run");
  EXPECT_TRUE(contains(e, "is not a teacher checkpoint")) << e;
  // A run whose teacher stage is still running.
  const fs::path unfinished = dir.path() / "unfinished";
  fs::create_directories(unfinished);
  write_teacher(unfinished / "teacher.pt", TeacherSpec{});
  Manifest m;
  m.get("teacher").status = "running";
  m.write(unfinished / "manifest.json");
  e = refused(unfinished, dir.path() / "run");
  EXPECT_TRUE(contains(e, "teacher stage has not finished")) << e;
  // A compofa run's teacher lacks the kernel transform matrices the other methods train.
  const fs::path compofa = dir.path() / "compofa";
  fs::create_directories(compofa);
  TeacherSpec no_transform;
  no_transform.kernel_transform = false;
  write_teacher(compofa / "teacher.pt", no_transform);
  write_json_file(compofa / "config.json", json{{"method", "compofa"}});
  e = refused(compofa, dir.path() / "run");
  EXPECT_TRUE(contains(e, "kernel transform")) << e;
  // The same file given directly: the load check names the missing weights.
  e = refused(compofa / "teacher.pt", dir.path() / "run");
  EXPECT_TRUE(contains(e, "do not load into method sparsenas's supernet")) << e;
}

TEST(TeacherSourceTest, ResolvesRunAndTrainDirectoriesAndFiles) {
  test::TempDir dir;
  const fs::path run = dir.path() / "run";
  fs::create_directories(run);
  write_teacher(run / "teacher.pt", TeacherSpec{});
  TeacherSource s = resolve_teacher_source(run.string());
  EXPECT_EQ(s.kind, "run");
  EXPECT_EQ(s.file, run / "teacher.pt");
  EXPECT_EQ(s.hash, hash_file(run / "teacher.pt"));
  // `sparsenas train --out DIR` writes config.json ("command": "train") and checkpoint.pt.
  const fs::path trained = dir.path() / "train";
  fs::create_directories(trained);
  write_json_file(trained / "config.json", json{{"command", "train"}});
  write_teacher(trained / "checkpoint.pt", TeacherSpec{});
  s = resolve_teacher_source(trained.string());
  EXPECT_EQ(s.kind, "train");
  EXPECT_EQ(s.file, trained / "checkpoint.pt");
  s = resolve_teacher_source((trained / "checkpoint.pt").string());
  EXPECT_EQ(s.kind, "file");
  EXPECT_EQ(s.hash, hash_file(trained / "checkpoint.pt"));
}

// A tiny run that trains its teacher (A), and runs that reuse it: from A's directory, from a copy
// of its teacher.pt elsewhere, and from another teacher.
TEST(TeacherSourceTest, ReusedTeacherIsNotTrainedAndChangesRerunDownstream) {
  test::TempDir dir;
  const fs::path a = dir.path() / "a", b = dir.path() / "b";
  const RunConfig trains = tiny();
  run_pipeline(trains, a);
  const RunSummary first = run_pipeline(tiny(json{{"teacher_stage", {{"from", a.string()}}}}), b);
  EXPECT_EQ(first.ran, stage_names());

  const Manifest ma = Manifest::read(a / "manifest.json"), mb = Manifest::read(b / "manifest.json");
  const StageRecord* tb = mb.find("teacher");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->epochs, 0);  // not trained
  EXPECT_EQ(tb->subnet_passes, 0);
  EXPECT_EQ(tb->images_seen, 0);
  EXPECT_FALSE(fs::exists(b / "teacher" / "history.json"));
  EXPECT_EQ(tb->metric_text("from").value_or(""), fs::absolute(a / "teacher.pt").lexically_normal().string());
  EXPECT_EQ(tb->metric_text("from_kind").value_or(""), "run");
  EXPECT_EQ(tb->metric_text("teacher_hash").value_or(""), hash_file(a / "teacher.pt"));
  EXPECT_EQ(tb->metric("source_epochs").value_or(-1), 1);  // what it cost where it was trained
  EXPECT_EQ(tb->metric("source_subnet_passes").value_or(-1), ma.find("teacher")->subnet_passes);
  EXPECT_EQ(hash_file(b / "teacher.pt"), hash_file(a / "teacher.pt"));
  EXPECT_EQ(tb->output_hash, ma.find("teacher")->output_hash);
  // Downstream, B's stages have A's config and inputs: the same teacher weights, same settings.
  for (const char* name : {"proxy", "pairs", "predictor", "sparse_space", "supernet", "family"}) {
    ASSERT_NE(mb.find(name), nullptr) << name;
    EXPECT_EQ(mb.find(name)->config_hash, ma.find(name)->config_hash) << name;
  }
  // (A checkpoint records its wall times, so trained artifacts such as the proxy differ in bytes
  // between two runs; the teacher, copied, does not, and the sparse space is deterministic.)
  for (const char* input : {"teacher", "sparse_space"}) {
    EXPECT_EQ(mb.find("supernet")->input_hashes.at(input), ma.find("supernet")->input_hashes.at(input)) << input;
  }
  EXPECT_EQ(mb.find("family")->input_hashes.at("teacher"), ma.find("family")->input_hashes.at("teacher"));

  // The same teacher again, now as a file at another path: nothing reruns (the hash, not the path).
  const fs::path copy = dir.path() / "elsewhere" / "teacher.pt";
  fs::create_directories(copy.parent_path());
  fs::copy_file(a / "teacher.pt", copy);
  RunSummary again = run_pipeline(tiny(json{{"teacher_stage", {{"from", copy.string()}}}}), b);
  EXPECT_TRUE(again.ran.empty());
  EXPECT_EQ(again.skipped, stage_names());

  // Another teacher: every stage reruns (the teacher is copied, the rest read it or follow it).
  write_teacher(dir.path() / "other.pt", TeacherSpec{});
  again = run_pipeline(tiny(json{{"teacher_stage", {{"from", (dir.path() / "other.pt").string()}}}}), b);
  EXPECT_EQ(again.ran, stage_names());
  EXPECT_EQ(hash_file(b / "teacher.pt"), hash_file(dir.path() / "other.pt"));
  const Manifest mc = Manifest::read(b / "manifest.json");
  EXPECT_NE(mc.find("supernet")->input_hashes.at("teacher"), ma.find("supernet")->input_hashes.at("teacher"));
}

}  // namespace
}  // namespace sparsenas::pipeline
