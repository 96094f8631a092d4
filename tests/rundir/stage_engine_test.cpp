// Unit tests for src/sparsenas/rundir/stage_engine.h, with fake stages that write small files.
#include "sparsenas/rundir/stage_engine.h"

#include <gtest/gtest.h>

#include <map>

#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/artifacts.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Three stages a -> b -> c; each writes `<name>.txt` from its config and its input's file, and
// counts its runs. Stage b can be told to fail once, after writing scratch state.
class StageEngineTest : public ::testing::Test {
 protected:
  std::vector<Stage> stages(int b_setting = 1) {
    auto body = [this](const std::string& name, const std::string& input) {
      return [this, name, input](StageRecord& rec, bool resuming) {
        ++runs[name];
        if (resuming) ++resumes[name];
        std::string text = name;
        if (!input.empty()) text += "<" + read_file(dir.path() / (input + ".txt"));
        if (name == "b" && fail_b) {
          write_file_atomic(dir.path() / "b.partial", "half");
          fail_b = false;
          throw std::runtime_error("b failed");
        }
        if (name == "b") scratch_seen = fs::exists(dir.path() / "b.partial");
        write_file_atomic(dir.path() / (name + ".txt"), text);
        rec.subnet_passes = 7;
      };
    };
    return {{"a", json{{"x", 1}}, {}, {"a.txt"}, {}, body("a", "")},
            {"b", json{{"x", b_setting}}, {"a"}, {"b.txt"}, {"b.partial"}, body("b", "a")},
            {"c", json::object(), {"a", "b"}, {"c.txt"}, {}, body("c", "b")}};
  }
  StagesSummary run(const std::vector<Stage>& list, const std::string& shared = "s") {
    Manifest m = Manifest::read(dir.path() / kManifest);
    return run_stages(dir.path(), m, shared, list);
  }

  test::TempDir dir;
  std::map<std::string, int> runs, resumes;
  bool fail_b = false, scratch_seen = false;
};

TEST_F(StageEngineTest, RunsInOrderThenSkipsWhatIsUnchanged) {
  const StagesSummary first = run(stages());
  EXPECT_EQ(first.ran, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(read_file(dir.path() / "c.txt"), "c<b<a");
  const Manifest m = read_manifest(dir.path() / kManifest);
  ASSERT_NE(m.find("c"), nullptr);
  EXPECT_EQ(m.find("c")->status, "done");
  EXPECT_EQ(m.find("c")->subnet_passes, 7);
  EXPECT_EQ(m.find("c")->input_hashes.at("b"), m.find("b")->output_hash);
  EXPECT_EQ(m.find("b")->output_hash, output_hash(dir.path(), {"b.txt"}));
  const StagesSummary second = run(stages());
  EXPECT_TRUE(second.ran.empty());
  EXPECT_EQ(second.skipped, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(runs["a"], 1);
}

TEST_F(StageEngineTest, AChangedConfigOrArtifactRerunsTheStageAndEverythingAfter) {
  run(stages());
  EXPECT_EQ(run(stages(2)).ran, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(runs["a"], 1);
  write_file_atomic(dir.path() / "a.txt", "tampered");
  EXPECT_EQ(run(stages(2)).ran, (std::vector<std::string>{"a", "b", "c"}));
  fs::remove(dir.path() / "c.txt");
  EXPECT_EQ(run(stages(2)).ran, (std::vector<std::string>{"c"}));
  // The shared settings enter every stage's hash.
  EXPECT_EQ(run(stages(2), "other").ran, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(StageEngineTest, AFailedStageResumesWithItsScratchAndTime) {
  fail_b = true;
  EXPECT_THROW(run(stages()), std::runtime_error);
  Manifest m = read_manifest(dir.path() / kManifest);
  EXPECT_EQ(m.find("a")->status, "done");
  EXPECT_EQ(m.find("b")->status, "running");
  EXPECT_EQ(m.find("c"), nullptr);
  const std::string started = m.find("b")->started;
  EXPECT_EQ(run(stages()).ran, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(resumes["b"], 1);
  EXPECT_TRUE(scratch_seen);  // kept for the resumed attempt
  m = read_manifest(dir.path() / kManifest);
  EXPECT_EQ(m.find("b")->started, started);

  // A failed stage whose config changed starts afresh: scratch removed, not a resume.
  fail_b = true;
  write_file_atomic(dir.path() / "a.txt", "changed");  // a reruns, so b cannot resume
  EXPECT_THROW(run(stages()), std::runtime_error);
  EXPECT_EQ(run(stages(3)).ran, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(resumes["b"], 1);
  EXPECT_FALSE(scratch_seen);
}

// Data-parallel: a process that is not the writer takes the same decisions from the same
// manifest but writes nothing (no manifest, no scratch removal), and waits at a barrier after
// removing scratch files and after every body.
TEST_F(StageEngineTest, AProcessThatIsNotTheWriterWritesNothingAndWaitsAtBarriers) {
  run(stages());
  const std::string manifest_before = read_file(dir.path() / kManifest);
  write_file_atomic(dir.path() / "b.partial", "stale");
  int barriers = 0;
  Processes other;
  other.writer = false;
  other.barrier = [&] { ++barriers; };
  Manifest m = Manifest::read(dir.path() / kManifest);
  const StagesSummary done = run_stages(dir.path(), m, "s", stages(2), {}, other);
  EXPECT_EQ(done.ran, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(barriers, 3);  // b's scratch, b's body, c's body
  EXPECT_TRUE(scratch_seen);  // the writer removes scratch files, not this process
  EXPECT_EQ(read_file(dir.path() / kManifest), manifest_before);
  // Its in-memory manifest is what the writer's says: b and c done with b's new output.
  EXPECT_EQ(m.find("b")->status, "done");
  EXPECT_EQ(m.find("c")->input_hashes.at("b"), output_hash(dir.path(), {"b.txt"}));
  // The writer with the same barrier removes the scratch file first.
  Processes writer;
  writer.barrier = [&] { ++barriers; };
  Manifest w = Manifest::read(dir.path() / kManifest);
  run_stages(dir.path(), w, "s", stages(3), {}, writer);
  EXPECT_FALSE(scratch_seen);
  EXPECT_EQ(barriers, 6);
  EXPECT_NE(read_file(dir.path() / kManifest), manifest_before);
}

// A process that is not the writer follows the writer's reading of the disk (it does not hash the
// artifacts itself): it reruns a stage whose artifacts are intact when the writer found them missing
// (the writer may already have rewritten them), and skips one that changed when the writer found it
// intact.
TEST_F(StageEngineTest, EveryProcessTakesTheWritersChoiceOnIntactArtifacts) {
  run(stages());
  std::vector<bool> seen;
  Processes other;
  other.writer = false;
  other.barrier = [] {};
  other.writers_choice = [&](bool mine) {
    seen.push_back(mine);
    return seen.size() != 2;  // the writer found b's artifacts missing
  };
  Manifest m = Manifest::read(dir.path() / kManifest);
  const StagesSummary done = run_stages(dir.path(), m, "s", stages(), {}, other);
  // a and b asked (this process does not hash: it passes false); c reruns after b, no question.
  EXPECT_EQ(seen, (std::vector<bool>{false, false}));
  EXPECT_EQ(done.skipped, (std::vector<std::string>{"a"}));
  EXPECT_EQ(done.ran, (std::vector<std::string>{"b", "c"}));

  write_file_atomic(dir.path() / "a.txt", "tampered");  // changed, but the writer decides
  seen.clear();
  other.writers_choice = [&](bool mine) {
    seen.push_back(mine);
    return true;  // the writer saw a, b and c intact
  };
  Manifest again = Manifest::read(dir.path() / kManifest);
  const StagesSummary skipped = run_stages(dir.path(), again, "s", stages(), {}, other);
  EXPECT_EQ(seen, (std::vector<bool>{false, false, false}));
  EXPECT_EQ(skipped.skipped, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(skipped.ran.empty());
}

TEST_F(StageEngineTest, AWriterWhoseClosingBarrierFailsHasRecordedTheStageDone) {
  // The other ranks gave up waiting while the writer ran a long stage alone: its barrier throws
  // after the stage's body, and a rerun must skip the finished stage, not run it again.
  int barriers = 0;
  Processes writer;
  writer.barrier = [&] {
    if (++barriers == 1) throw std::runtime_error("the other ranks left");  // after a's body
  };
  Manifest m = Manifest::read(dir.path() / kManifest);
  EXPECT_THROW(run_stages(dir.path(), m, "s", stages(0), {}, writer), std::runtime_error);
  Manifest again = Manifest::read(dir.path() / kManifest);
  ASSERT_NE(again.find("a"), nullptr);
  EXPECT_EQ(again.find("a")->status, "done");
  EXPECT_EQ(barriers, 1);
  const StagesSummary rerun = run_stages(dir.path(), again, "s", stages(0), {});
  EXPECT_EQ(rerun.skipped, (std::vector<std::string>{"a"}));
  EXPECT_EQ(runs["a"], 1);
}

}  // namespace
}  // namespace sparsenas::rundir
