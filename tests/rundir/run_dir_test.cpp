// Unit tests for src/sparsenas/rundir/run_dir.h.
#include "sparsenas/rundir/run_dir.h"

#include <gtest/gtest.h>

#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;
using test::error_of;

using test::contains;

TEST(RunDirTest, OpenRefusesWhatIsNotARunDirectory) {
  test::TempDir dir;
  std::string e = error_of([&] { open_run(dir.path() / "nope"); });
  EXPECT_TRUE(contains(e, "--run ")) << e;
  EXPECT_TRUE(contains(e, "no such run directory")) << e;
  e = error_of([&] { open_run(dir.path(), "run"); });
  EXPECT_TRUE(contains(e, "run ")) << e;
  EXPECT_TRUE(contains(e, "no config.json, so not a sparsenas run directory")) << e;
  write_file_atomic(dir.path() / kConfig, "[1, 2");
  e = error_of([&] { open_run(dir.path()); });
  EXPECT_TRUE(contains(e, "corrupt config.json")) << e;
  write_file_atomic(dir.path() / kConfig, "[1, 2]");
  e = error_of([&] { open_run(dir.path()); });
  EXPECT_TRUE(contains(e, "corrupt config.json: expected a JSON object")) << e;
}

TEST(RunDirTest, ReadsArtifactsAndNamesWhatIsMissingOrBroken) {
  test::TempDir dir;
  write_json_file(dir.path() / kConfig, json{{"method", "compofa"}, {"preset", "tiny"}, {"seed", 3}});
  const RunDir run = open_run(dir.path());
  EXPECT_EQ(run.method(), "compofa");
  EXPECT_EQ(run.preset(), "tiny");
  EXPECT_EQ(run.seed(), 3);
  EXPECT_FALSE(run.has(kFamily));
  std::string e = error_of([&] { run.family(); });
  EXPECT_TRUE(contains(e, "no family.csv yet: the run has not finished")) << e;
  e = error_of([&] { run.require({kConfig, kSupernet}); });
  EXPECT_TRUE(contains(e, "no supernet.pt yet")) << e;

  const std::string arch = "\"{\"\"ks\"\":[3],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  write_file_atomic(run.file(kFamily), "arch,macs,params,latency_ms,val_top1,test_top1\n" + arch + ",10,2,,0.5,0.25\n");
  EXPECT_EQ(run.family().size(), 1);
  write_file_atomic(run.file(kPairs), "arch,macs,params,val_top1\n" + arch + ",10,2,0.5\n");
  EXPECT_EQ(run.pairs().size(), 1u);
  // A reader's error that does not name the file gets it prepended.
  e = error_of([&] { run.read(kPairs, [](const std::filesystem::path&) -> int { SNAS_FAIL("bad row"); }); });
  EXPECT_TRUE(contains(e, (dir.path() / kPairs).string() + ": bad row")) << e;
  write_file_atomic(run.file("teacher/history.json"), "[{\"train_loss\": 1.0}]");
  EXPECT_EQ(run.history("teacher").size(), 1u);
  write_file_atomic(run.file(kManifest), "{\"version\": 1}");
  e = error_of([&] { run.manifest(); });
  EXPECT_TRUE(contains(e, "manifest.json")) << e;
  EXPECT_TRUE(contains(e, "no key \"stages\"")) << e;
}

}  // namespace
}  // namespace sparsenas::rundir
