// Runs the real `sparsenas` program: stdout JSON, exit codes and error messages.
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <set>
#include <cstdio>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace {

struct CliRun {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

CliRun run(const std::string& args) {
  sparsenas::test::TempDir dir;
  const std::string err_path = (dir.path() / "stderr").string();
  const std::string command = std::string(SNAS_BINARY) + " " + args + " 2>" + err_path;
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  r.err.assign(std::istreambuf_iterator<char>(err), {});
  return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CliSpaceTest, InfoJsonAt224MatchesOfa) {
  const CliRun r = run("space info --space ofa-mbv3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["num_architectures"], "21758655492572485851");
  EXPECT_EQ(j["largest"]["macs"], 566170656);  // OFA's counter (tests/testdata/ofa_reference.json)
  EXPECT_EQ(j["smallest"]["macs"], 121278672);
  EXPECT_EQ(j["largest"]["params"], 7664760);
  EXPECT_EQ(j["stages"].size(), 5u);
}

TEST(CliSpaceTest, InfoForFashionMnistShape) {
  const CliRun r = run("space info --space ofa-mbv3 --resolution 28 --in-channels 1 --classes 10 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["largest"]["macs"], 14214192);
  EXPECT_EQ(j["smallest"]["macs"], 3671496);
  const CliRun compofa = run("space info --space compofa --json");
  EXPECT_EQ(nlohmann::json::parse(compofa.out)["num_architectures"], "243");
}

TEST(CliSpaceTest, MacsOfMaxAndOfJsonArch) {
  CliRun r = run("space macs --space ofa-mbv3 --arch max --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["macs"], 566170656);
  const std::string arch = R"('{"ks":[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],"e":[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],"d":[2,2,2,2,2]}')";
  r = run("space macs --space ofa-mbv3 --arch " + arch + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["macs"], 121278672);
  EXPECT_EQ(nlohmann::json::parse(r.out)["params"], 3410792);
}

TEST(CliSpaceTest, SampleGivesDistinctReproducibleLines) {
  const CliRun a = run("space sample --space ofa-mbv3 -n 20 --seed 3");
  const CliRun b = run("space sample --space ofa-mbv3 -n 20 --seed 3");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  std::set<std::string> lines;
  size_t start = 0, end;
  while ((end = a.out.find('\n', start)) != std::string::npos) {
    const std::string line = a.out.substr(start, end - start);
    EXPECT_TRUE(nlohmann::json::parse(line).contains("ks"));
    lines.insert(line);
    start = end + 1;
  }
  EXPECT_EQ(lines.size(), 20u);
}

TEST(CliErrorTest, BadInputsFailWithClearMessages) {
  CliRun r = run("space info --space resnet");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "space must be one of ofa-mbv3, proxyless, compofa")) << r.err;

  r = run(R"(space macs --arch '{"ks":[4],"e":[3],"d":[2]}')");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "arch.d must have 5 entries")) << r.err;

  r = run("space macs --arch '{\"ks\": [3'");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "not valid JSON")) << r.err;

  r = run("space sample --space compofa -n 300");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "it has only 243")) << r.err;

  r = run("space info --resolution abc");
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "--resolution")) << r.err;

  r = run("space info --width-mult 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "space.width_mult must be in (0.1, 8], got 0")) << r.err;

  r = run("frobnicate");
  EXPECT_NE(r.code, 0);

  r = run("eval --checkpoint /nonexistent/checkpoint.pt");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "/nonexistent/checkpoint.pt")) << r.err;
}

TEST(CliErrorTest, CorruptDataFileIsAClearError) {
  sparsenas::test::TempDir dir;
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"}) {
    std::ofstream(dir.path() / name) << "garbage";
  }
  const CliRun r = run("train --data idx --data-path " + dir.path().string() + " --epochs 1 --out " +
                    (dir.path() / "run").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "train-images-idx3-ubyte")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run" / "checkpoint.pt"));
}

TEST(CliErrorTest, TrainRejectsBadOptionsBeforeWork) {
  CliRun r = run("train --epochs 0 --out /tmp/snas_never");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "epochs")) << r.err;
  r = run("train --device cuda --epochs 1 --out /tmp/snas_never");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "cuda")) << r.err;
  r = run("train --lr-schedule linear --epochs 1 --out /tmp/snas_never");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "lr_schedule")) << r.err;
  EXPECT_FALSE(std::filesystem::exists("/tmp/snas_never"));
}

// Trains a small network for one short epoch on Fashion-MNIST, evaluates the checkpoint, refuses
// to overwrite it, and resumes a finished run without training again.
TEST(CliTrainTest, TrainEvalAndRefuseOverwrite) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  sparsenas::test::TempDir dir;
  const std::string out = (dir.path() / "run").string();
  const std::string common = " --arch min --train-limit 1024 --val-size 256 --test-limit 256 --threads 1";
  CliRun r = run("train --epochs 2 --batch-size 32 --json --out " + out + common);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_GT(result["test"]["top1"].get<double>(), 0.4);  // 10 classes: chance is 0.1
  EXPECT_EQ(result["test"]["images"], 256);
  EXPECT_TRUE(std::filesystem::exists(out + "/checkpoint.pt"));
  EXPECT_TRUE(std::filesystem::exists(out + "/config.json"));

  r = run("eval --checkpoint " + out + "/checkpoint.pt --split test --json --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["test"]["top1"].get<double>(), result["test"]["top1"].get<double>());
  EXPECT_FALSE(nlohmann::json::parse(r.out)["bn_recalibrated"].get<bool>());

  r = run("eval --checkpoint " + out + "/checkpoint.pt --arch max --split test --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["bn_recalibrated"].get<bool>());

  r = run("train --epochs 2 --batch-size 32 --out " + out + common);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "already holds a checkpoint")) << r.err;

  // --init-from starts from the trained weights: one epoch at a tiny learning rate keeps the
  // accuracy (from scratch it would stay near chance).
  const std::string out2 = (dir.path() / "run2").string();
  r = run("train --epochs 1 --batch-size 32 --lr 0.0001 --json --init-from " + out + "/checkpoint.pt --out " +
          out2 + common);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["test"]["top1"].get<double>(), result["test"]["top1"].get<double>() - 0.05);
  r = run("train --epochs 1 --init-from /nonexistent/c.pt --out " + (dir.path() / "run3").string() + common);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "/nonexistent/c.pt")) << r.err;
}

}  // namespace
