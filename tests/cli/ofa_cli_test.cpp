// `sparsenas import-ofa` and `export-ofa` end to end on the tiny preset: an OFA-format checkpoint
// (written here through nn::to_ofa_state_dict; the parity with OFA's own code is
// tests/nn/ofa_state_dict_test.cpp) becomes a run directory that `export`, `run`, `--teacher` and
// `export-ofa` read, and bad checkpoints fail with errors naming the cause, writing nothing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "sparsenas/core/fs.h"
#include "sparsenas/nn/ofa_state_dict.h"
#include "sparsenas/nn/state_dict_file.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/rundir/manifest.h"
#include "support/cli_run.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::contains;
using test::run_cli;

// An OFA-format checkpoint of `space` at the tiny preset's shape (Fashion-MNIST: 28x28x1, 10 classes).
fs::path make_checkpoint(const fs::path& dir, const std::string& space, double width, const std::string& name) {
  space::SpaceOptions o;
  o.resolution = 28;
  o.in_channels = 1;
  o.num_classes = 10;
  o.width_mult = width;
  torch::manual_seed(3);
  // Freshly initialised: random BN statistics make logits of ~20 whose float32 error in the
  // exported TorchScript (1.7e-5 relative) exceeds export's own 1e-5 check.
  nn::Supernet net(space::SearchSpace::from_name(space, o));
  const fs::path file = dir / name;
  nn::write_state_dict_file(file, nn::to_ofa_state_dict(*net));
  return file;
}

class CliOfaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST (dataset-fashion-mnist)";
  }
  test::TempDir dir;
};

TEST_F(CliOfaTest, ImportExportRunTeachAndBackToOfa) {
  // A trained supernet in OFA's format: a tiny spos run's, through export-ofa.
  const std::string source = (dir.path() / "spos").string();
  test::CliRun r = run_cli("run --preset tiny --threads 1 --method spos --stop-after supernet --out " + source);
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path ckpt = dir.path() / "ofa.pt";
  r = run_cli("export-ofa --run " + source + " --out " + ckpt.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["network"]["class"], "OFAMobileNetV3");
  const json sidecar = read_json_file(dir.path() / "ofa.json");
  EXPECT_EQ(sidecar["network"]["first_conv"]["in_channels"], 1);
  EXPECT_EQ(sidecar["method"], "spos");
  EXPECT_TRUE(contains(sidecar["load"], "net.load_state_dict(torch.load(\"ofa.pt\"")) << sidecar.dump();

  const std::string out = (dir.path() / "imported").string();
  r = run_cli("import-ofa --checkpoint " + ckpt.string() + " --space ofa-mbv3 --preset tiny --threads 1 --out " + out +
              " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["ran"], json({"import"}));
  EXPECT_TRUE(contains(j["next"], "sparsenas run --config")) << r.out;
  EXPECT_TRUE(fs::exists(fs::path(out) / "supernet.pt"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "teacher.pt"));

  // A network exports at once (no family yet), and the supernet goes back to OFA's names unchanged.
  r = run_cli("export --run " + out + " --arch max --out " + (dir.path() / "net.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_cli("export-ofa --run " + out + " --out " + (dir.path() / "back.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const nn::StateDict original = nn::read_state_dict_file(ckpt).tensors;
  const nn::StateDict back = nn::read_state_dict_file(dir.path() / "back.pt").tensors;
  ASSERT_EQ(original.size(), back.size());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(original[i].first, back[i].first);
    EXPECT_TRUE(torch::equal(original[i].second, back[i].second)) << original[i].first;
  }

  // The rest of the OFA way: pairs, predictor, family search, family, report; the import is kept.
  r = run_cli("run --config " + out + "/config.json --out " + out + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["skipped"], json({"import"}));
  EXPECT_TRUE(fs::exists(fs::path(out) / "family.csv"));
  r = run_cli("export --run " + out + " --max-macs 1e9 --out " + (dir.path() / "best.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;

  // A sparsenas run distils from, and starts from, the imported supernet without training a teacher.
  const std::string student = (dir.path() / "student").string();
  r = run_cli("run --preset tiny --threads 1 --space ofa-mbv3 --width-mult 1 --teacher " + out +
              " --stop-after teacher --out " + student);
  ASSERT_EQ(r.code, 0) << r.err;
  const rundir::Manifest m = rundir::Manifest::read(fs::path(student) / "manifest.json");
  const rundir::StageRecord* teacher = m.find("teacher");
  ASSERT_NE(teacher, nullptr);
  EXPECT_EQ(teacher->metrics["from_kind"], "run");
  EXPECT_EQ(teacher->epochs, 0);
}

TEST_F(CliOfaTest, BadCheckpointsFailNamingTheCauseAndWriteNothing) {
  const fs::path good = make_checkpoint(dir.path(), "ofa-mbv3", 1.0, "good.pt");
  const std::string out = (dir.path() / "run").string();
  auto import = [&](const fs::path& ckpt, const std::string& extra) {
    return run_cli("import-ofa --checkpoint " + ckpt.string() + " --preset tiny --out " + out + " " + extra);
  };
  auto expect_refused = [&](const test::CliRun& r, const std::string& part) {
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(contains(r.err, part)) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "a refused import wrote " << out;
  };
  const std::string bytes = read_file(good);
  write_file_atomic(dir.path() / "cut.pt", bytes.substr(0, bytes.size() / 3));
  expect_refused(import(dir.path() / "cut.pt", ""), "not a complete torch.save archive");
  expect_refused(import(make_checkpoint(dir.path(), "ofa-mbv3", 1.2, "w12.pt"), ""),
                 "key first_conv.conv.weight has shape [24, 1, 3, 3]");
  expect_refused(import(make_checkpoint(dir.path(), "ofa-mbv3", 1.2, "w12.pt"), ""), "another --width-mult");
  expect_refused(import(make_checkpoint(dir.path(), "proxyless", 1.0, "p.pt"), ""), "give --space proxyless");
  expect_refused(import(good, "--space proxyless"), "give --space ofa-mbv3");
  expect_refused(import(good, "--space compofa"), "--space: expected ofa-mbv3, ofa-mbv3-s1 or proxyless");
  write_file_atomic(dir.path() / "legacy.pt", std::string("\x80\x02\x8a\x0a", 4) + "rest of an old pickle");
  expect_refused(import(dir.path() / "legacy.pt", ""), "format of PyTorch before 1.6");
  expect_refused(import(dir.path() / "none.pt", ""), "no such file");
  expect_refused(run_cli("run --preset tiny --method ofa-import --out " + out), "sparsenas import-ofa");
}

}  // namespace
}  // namespace sparsenas
