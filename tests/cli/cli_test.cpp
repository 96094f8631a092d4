// Runs the real `sparsenas` program: stdout JSON, exit codes and error messages.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>
#include <cstdio>
#include <fstream>
#include <string>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/train_config.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"
#include "support/error_of.h"
#include "data/data_test_util.h"

namespace {

using sparsenas::test::CliRun;

CliRun run(const std::string& args) { return sparsenas::test::run_cli(args); }

using sparsenas::test::contains;

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

TEST(CliHelpTest, DefaultsAndChoicesComeFromTheConfigDeclarations) {
  // The texts are printed from config_fields declarations (train::TrainConfig, data::DataConfig,
  // pipeline::RunConfig): the schedule lists every choice (the retyped text once omitted
  // step2_cosine), and each default is the struct's.
  const CliRun train = run("train --help");
  ASSERT_EQ(train.code, 0) << train.err;
  EXPECT_TRUE(contains(train.out, "cosine, step2 or step2_cosine (default cosine)")) << train.out;
  EXPECT_TRUE(contains(train.out, "(default " + sparsenas::config_fields::default_text<sparsenas::train::TrainConfig>("batch_size") + ")"));
  EXPECT_TRUE(contains(train.out, "(default " + sparsenas::config_fields::default_text<sparsenas::data::DataConfig>("val_size") + ")"));
  const CliRun run_help = run("run --help");
  ASSERT_EQ(run_help.code, 0) << run_help.err;
  EXPECT_TRUE(contains(run_help.out, "sparsenas, ofa, compofa, spos, random-subspace or ofa-import (default sparsenas)"))
      << run_help.out;
  EXPECT_TRUE(contains(run_help.out, "tiny, quick, standard, paper")) << run_help.out;
}

TEST(CliErrorTest, BadInputsFailWithClearMessages) {
  CliRun r = run("space info --space resnet");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "space must be one of ofa-mbv3, proxyless, compofa, ofa-mbv3-s1, compofa-s1")) << r.err;

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
  // stderr is a pipe here, as in a log file: progress comes as plain lines, the last at 100%.
  EXPECT_TRUE(contains(r.err, "epoch 1/2 32/32 (100%) ")) << r.err;
  EXPECT_TRUE(contains(r.err, " step/s ETA 0:00 loss ")) << r.err;
  EXPECT_FALSE(contains(r.err, "\r")) << r.err;

  const auto correct_file = dir.path() / "correct.json";
  r = run("eval --checkpoint " + out + "/checkpoint.pt --split test --json --threads 1 --correct " +
          correct_file.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["test"]["top1"].get<double>(), result["test"]["top1"].get<double>());
  EXPECT_FALSE(nlohmann::json::parse(r.out)["bn_recalibrated"].get<bool>());
  // Per image, in the format of family_correct.json: the mean of the bits is the top-1.
  const auto correctness = sparsenas::rundir::read_image_correctness(correct_file);
  ASSERT_EQ(correctness.networks.size(), 1u);
  EXPECT_EQ(correctness.splits.at("test").images, 256);
  EXPECT_EQ(correctness.splits.count("val"), 0u);
  const auto& bits = correctness.bits(0, "test");
  EXPECT_DOUBLE_EQ(static_cast<double>(std::count(bits.begin(), bits.end(), 1)) / 256,
                   result["test"]["top1"].get<double>());

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


// ---------------------------------------------------------------------------------------------
// `sparsenas run`, `search`, `export` on the tiny preset.

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(CliRunTest, BadRunInputsFailBeforeTouchingTheDirectory) {
  sparsenas::test::TempDir dir;
  const std::string out = (dir.path() / "run").string();
  CliRun r = run("run --preset huge --out " + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "unknown preset \"huge\"")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::ofstream(dir.path() / "c.json") << R"({"pairs": {"count": 1}})";
  r = run("run --preset tiny --config " + (dir.path() / "c.json").string() + " --out " + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "pairs.count must be in [2, 1000000], got 1")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::ofstream(dir.path() / "u.json") << R"({"teacher": {"epochz": 1}})";
  r = run("run --preset tiny --config " + (dir.path() / "u.json").string() + " --out " + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "epochz")) << r.err;
  // A folder of the user's that is not a run directory is never written to.
  std::filesystem::create_directories(dir.path() / "mine");
  std::ofstream(dir.path() / "mine" / "notes.txt") << "keep";
  r = run("run --preset tiny --out " + (dir.path() / "mine").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "not a sparsenas run directory")) << r.err;
  EXPECT_EQ(read_text(dir.path() / "mine" / "notes.txt"), "keep");
  // --print-config shows the resolved config without running.
  r = run("run --preset tiny --threads 1 --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["teacher"]["threads"], 1);
}

// `run --teacher DIR` with what `sparsenas train --arch max` leaves: a teacher that does not fit is
// refused before the run directory exists; one that fits is copied, not trained.
TEST(CliRunTest, TeacherFromATrainDirectory) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  sparsenas::test::TempDir dir;
  const auto teacher = dir.path() / "teacher", out = dir.path() / "run";
  CliRun r = run("train --arch max --epochs 1 --batch-size 64 --train-limit 256 --val-size 128 --test-limit 128 "
                 "--threads 1 --out " + teacher.string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run("run --preset tiny --threads 1 --teacher " + teacher.string() + " --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["teacher_stage"]["from"], teacher.string());
  r = run("run --preset tiny --threads 1 --image-size 32 --teacher " + teacher.string() + " --out " + out.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "resolution must be 32 (this run's), got 28 (the teacher's)")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = run("run --preset tiny --threads 1 --json --teacher " + teacher.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  const auto& t = manifest["stages"][0];
  EXPECT_EQ(t["name"], "teacher");
  EXPECT_EQ(t["epochs"], 0);
  EXPECT_EQ(t["subnet_passes"], 0);
  EXPECT_EQ(t["metrics"]["from_kind"], "train");
  EXPECT_EQ(t["metrics"]["from"], (teacher / "checkpoint.pt").string());
  EXPECT_EQ(read_text(out / "teacher.pt"), read_text(teacher / "checkpoint.pt"));
  // Rerunning with the same teacher skips every stage.
  r = run("run --preset tiny --threads 1 --json --teacher " + teacher.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["ran"].empty()) << r.out;
}

// Plain (not gzipped) IDX files in the Fashion-MNIST names: n images of 28x28, labels i % classes.
void write_idx_dir(const std::filesystem::path& dir, uint32_t n, int classes) {
  std::filesystem::create_directories(dir);
  auto u32 = [](std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  for (const std::string prefix : {"train", "t10k"}) {
    std::string images, labels;
    u32(images, 0x00000803);
    u32(images, n);
    u32(images, 28);
    u32(images, 28);
    images.append(static_cast<size_t>(n) * 28 * 28, '\x40');
    u32(labels, 0x00000801);
    u32(labels, n);
    for (uint32_t i = 0; i < n; ++i) labels.push_back(static_cast<char>(i % classes));
    std::ofstream(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary) << images;
    std::ofstream(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary) << labels;
  }
}

TEST(CliRunTest, BadDatasetsFailBeforeCreatingTheRun) {
  sparsenas::test::TempDir dir;
  write_idx_dir(dir.path() / "one", 64, 1);
  const auto out = dir.path() / "run";
  CliRun r = run("run --preset tiny --data idx --data-path " + (dir.path() / "one").string() + " --val-size 8 --out " +
                 out.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "class")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  write_idx_dir(dir.path() / "empty", 0, 10);
  r = run("run --preset tiny --data idx --data-path " + (dir.path() / "empty").string() + " --out " + out.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(r.err.empty());
  EXPECT_FALSE(std::filesystem::exists(out));
}

// Runs tiny once, kills a second run with SIGKILL in the middle of its proxy-supernet training,
// resumes it, and checks that the resumed run produced the same pairs as the uninterrupted one
// (resume is exact), then exercises search and export on the finished run.
TEST(CliRunTest, TinyRunResumeAfterKillSearchAndExport) {
  sparsenas::test::TempDir dir;
  const auto a = dir.path() / "a", b = dir.path() / "b";
  CliRun r = run("run --preset tiny --threads 1 --json --out " + a.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result["report"], (a / "report.md").string());
  EXPECT_TRUE(std::filesystem::exists(a / "report.md"));

  // Ctrl-C (SIGINT) in b's teacher stage: exit code 130 after a checkpoint, and a hint to rerun.
  const std::string log = (dir.path() / "b.log").string();
  const auto rc_file = dir.path() / "rc";
  const std::string background = "(" + std::string(SNAS_BINARY) + " run --preset tiny --threads 1 --out " +
                                 b.string() + " >/dev/null 2>" + log + "; echo $? > " + rc_file.string() + ") &";
  ASSERT_EQ(std::system(background.c_str()), 0);
  for (int i = 0; i < 6000 && !std::filesystem::exists(b / "teacher" / "checkpoint.pt"); ++i) usleep(20000);
  const std::string interrupt = "pkill -INT -f '^" + std::string(SNAS_BINARY) + " run --preset tiny --threads 1 --out " +
                                b.string() + "'";
  ASSERT_EQ(std::system(interrupt.c_str()), 0) << read_text(log);
  for (int i = 0; i < 6000 && read_text(rc_file).empty(); ++i) usleep(20000);
  EXPECT_EQ(read_text(rc_file), "130\n") << read_text(log);
  EXPECT_TRUE(contains(read_text(log), "rerun the same command to continue")) << read_text(log);
  EXPECT_TRUE(std::filesystem::exists(b / "teacher" / "checkpoint.pt"));

  // Start b again in the background and kill -9 it once its proxy stage has written a checkpoint.
  const std::string start = std::string(SNAS_BINARY) + " run --preset tiny --threads 1 --out " + b.string() +
                            " >/dev/null 2>" + log + " & echo $!";
  FILE* pipe = popen(start.c_str(), "r");
  int pid = 0;
  ASSERT_EQ(fscanf(pipe, "%d", &pid), 1);
  pclose(pipe);
  const auto checkpoint = b / "proxy" / "checkpoint.pt";
  for (int i = 0; i < 6000 && !std::filesystem::exists(checkpoint); ++i) usleep(20000);
  ASSERT_TRUE(std::filesystem::exists(checkpoint)) << read_text(log);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  waitpid(pid, nullptr, 0);
  usleep(200000);
  EXPECT_FALSE(std::filesystem::exists(b / "family.csv"));
  r = run("run --preset tiny --threads 1 --out " + b.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "teacher: done, unchanged (skipped)")) << r.err;
  EXPECT_TRUE(contains(r.err, ": resuming")) << r.err;
  // Compared as booleans: a failure should not print two whole files.
  EXPECT_TRUE(read_text(a / "pairs.csv") == read_text(b / "pairs.csv"));
  EXPECT_TRUE(read_text(a / "sparse_space.json") == read_text(b / "sparse_space.json"));

  // space-stats (paper Table 1) on the proxy supernet: nested samples, files in the run directory.
  r = run("space-stats --run " + a.string() + " --samples 4,8 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto stats = nlohmann::json::parse(r.out);
  EXPECT_EQ(stats["rows"].size(), 2u);
  EXPECT_EQ(stats["accuracies"].size(), 8u);
  EXPECT_TRUE(std::filesystem::exists(a / "space_stats.md"));
  r = run("space-stats --run " + a.string() + " --samples 4 --supernet teacher");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--supernet must be proxy or sparse")) << r.err;

  // search: by lookup, JSON on stdout, and a clear error when nothing fits.
  r = run("search --run " + a.string() + " --max-macs 1e12 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto found = nlohmann::json::parse(r.out);
  EXPECT_GT(found["val_top1"].get<double>(), 0.0);
  EXPECT_GE(found["query_us"].get<double>(), 0.0);
  r = run("search --run " + a.string() + " --max-macs 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "has macs <= 10; the smallest has")) << r.err;
  r = run("search --run " + (dir.path() / "none").string() + " --max-macs 1e9");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "no such run directory")) << r.err;

  // export: the best network under a MACs bound, with its sidecar.
  const auto model = dir.path() / "model.pt";
  r = run("export --run " + a.string() + " --max-macs 1e12 --format torchscript --out " + model.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(model));
  const auto sidecar = nlohmann::json::parse(read_text(dir.path() / "model.json"));
  EXPECT_EQ(sidecar["arch"], found["arch"]);
  EXPECT_EQ(sidecar["macs"], found["macs"]);
  EXPECT_EQ(sidecar["class_names"].size(), 10u);
  EXPECT_EQ(sidecar["accuracy"]["val_top1"], found["val_top1"]);
  EXPECT_LE(sidecar["check"]["max_abs_diff"].get<double>(),
            1e-5 * std::max(1.0, sidecar["check"]["max_abs_logit"].get<double>()));
  r = run("export --run " + a.string() + " --arch '{\"ks\":[9]}' --out " + model.string());
  EXPECT_EQ(r.code, 1);
  r = run("export --run " + a.string() + " --max-macs 1e9 --format tflite --out " + model.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--format: expected torchscript or onnx, got \"tflite\"")) << r.err;

  // ONNX: the same network, checked by ONNX's checker and OpenCV DNN on validation images.
  const auto onnx_model = dir.path() / "net.onnx";
  r = run("export --run " + a.string() + " --max-macs 1e12 --format onnx --out " + onnx_model.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(onnx_model));
  const auto onnx_sidecar = nlohmann::json::parse(read_text(dir.path() / "net.json"));
  EXPECT_EQ(onnx_sidecar["format"], "onnx");
  EXPECT_EQ(onnx_sidecar["file"], "net.onnx");
  EXPECT_EQ(onnx_sidecar["arch"], found["arch"]);
  EXPECT_EQ(onnx_sidecar["onnx"]["opset"].get<int>(), 14);
  EXPECT_EQ(onnx_sidecar["input"]["shape"][0], -1);
  EXPECT_EQ(onnx_sidecar["check"]["onnx_checker"], "passed");
  EXPECT_LE(onnx_sidecar["check"]["max_abs_diff"].get<double>(),
            1e-4 * onnx_sidecar["check"]["max_abs_logit"].get<double>());
  EXPECT_GT(onnx_sidecar["check"]["max_abs_logit"].get<double>(), 0.0);
  // An output folder that does not exist: an error naming it, nothing written.
  const auto nowhere = dir.path() / "missing" / "net.onnx";
  r = run("export --run " + a.string() + " --max-macs 1e12 --format onnx --out " + nowhere.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "does not exist")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

// Issue 14: a family's latency measured per device (both runtimes), search and export by it, and
// the report's accuracy-vs-latency plot; bad device names and bad tables are clear errors.
TEST(CliLatencyTest, MeasureSearchAndExportByDevice) {
  sparsenas::test::TempDir dir;
  const auto a = dir.path() / "a";
  CliRun r = run("run --preset tiny --threads 1 --json --out " + a.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string family = read_text(a / "family.csv");

  r = run("latency --run " + a.string() + " --device-name box --warmup 1 --repeats 3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["device"], "box");
  EXPECT_EQ(j["runtime"], "libtorch");
  EXPECT_TRUE(contains(r.err, "latency")) << r.err;  // progress lines with stderr a file
  const std::string csv = read_text(a / "latency" / "box.csv");
  EXPECT_TRUE(csv.rfind("network,arch,macs,runtime,threads,batch,warmup,repeats,median_ms,p90_ms\n", 0) == 0) << csv;
  const int64_t lines = std::count(csv.begin(), csv.end(), '\n');
  EXPECT_EQ(lines, std::count(family.begin(), family.end(), '\n'));  // one row per network + header
  EXPECT_EQ(j["networks"].get<int64_t>() + 1, lines);
  EXPECT_FALSE(std::filesystem::exists(a / "latency" / "box.partial.csv"));

  // An interrupted measurement continues after its saved rows when the options are the same.
  const std::string first_row = csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1);  // header + row 0
  {
    std::ofstream partial(a / "latency" / "resumed.partial.csv");
    partial << first_row;
  }
  r = run("latency --run " + a.string() + " --device-name resumed --warmup 1 --repeats 3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["resumed"], 1);
  const std::string resumed = read_text(a / "latency" / "resumed.csv");
  EXPECT_EQ(resumed.substr(0, first_row.size()), first_row);
  EXPECT_FALSE(std::filesystem::exists(a / "latency" / "resumed.partial.csv"));
  // Other options: measured from the start.
  {
    std::ofstream partial(a / "latency" / "fresh.partial.csv");
    partial << first_row;
  }
  r = run("latency --run " + a.string() + " --device-name fresh --warmup 1 --repeats 4 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["resumed"], 0);
  std::filesystem::remove(a / "latency" / "resumed.csv");
  std::filesystem::remove(a / "latency" / "fresh.csv");

  // The default device name is the host's CPU, the runtime and the threads.
  r = run("latency --run " + a.string() + " --runtime opencv --threads 2 --batch 2 --warmup 0 --repeats 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  const std::string opencv_device = j["device"];
  EXPECT_TRUE(contains(opencv_device, "-opencv-2t")) << opencv_device;
  EXPECT_TRUE(std::filesystem::exists(a / "latency" / (opencv_device + ".csv")));

  // search and export by a device's latency: the bound holds on that device.
  r = run("search --run " + a.string() + " --max-latency-ms 1e6 --device-name box --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto found = nlohmann::json::parse(r.out);
  EXPECT_EQ(found["device"], "box");
  EXPECT_LE(found["latency_ms"].get<double>(), 1e6);
  r = run("search --run " + a.string() + " --max-latency-ms 1e-6 --device-name box");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "box.csv")) << r.err;
  EXPECT_TRUE(contains(r.err, "the smallest has")) << r.err;
  r = run("search --run " + a.string() + " --max-latency-ms 5 --device-name phone");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--device-name phone: unknown device")) << r.err;
  const std::string listed = opencv_device < "box" ? opencv_device + ", box" : "box, " + opencv_device;
  EXPECT_TRUE(contains(r.err, "the devices measured are " + listed)) << r.err;
  r = run("search --run " + a.string() + " --max-macs 1e12 --device-name box");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "give --max-latency-ms with it")) << r.err;
  const auto model = dir.path() / "m.pt";
  r = run("export --run " + a.string() + " --max-latency-ms 1e6 --device-name box --out " + model.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto sidecar = nlohmann::json::parse(read_text(dir.path() / "m.json"));
  EXPECT_EQ(sidecar["arch"], found["arch"]);
  EXPECT_EQ(sidecar["accuracy"]["latency_device"], "box");
  r = run("export --run " + a.string() + " --max-latency-ms 1e6 --device-name ../x --out " +
          (dir.path() / "n.pt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--device-name must be")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "n.pt"));
  r = run("latency --run " + a.string() + " --runtime tflite");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "runtime")) << r.err;

  // `latency` wrote the report again: accuracy against latency, one series per device.
  const std::string report = read_text(a / "report.md");
  EXPECT_TRUE(contains(report, "## Accuracy against latency per device")) << report;
  const std::string data = read_text(a / "plots" / "accuracy_vs_latency.dat");
  EXPECT_TRUE(contains(data, "# device box\n")) << data;
  EXPECT_TRUE(contains(data, "# device " + opencv_device + "\n")) << data;

  // latency-table: a table for the run's shape, checked on a few networks; a table of another
  // shape or a corrupt table used by a constraint-free reader is an error (tested in search/).
  const auto lut = dir.path() / "lut.json";
  r = run("latency-table --space ofa-mbv3 --resolution 28 --in-channels 1 --classes 10 --warmup 0 --repeats 1 "
          "--check-networks 3 --out " + lut.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["entries"], 92);
  EXPECT_EQ(j["check"]["networks"], 3);
  EXPECT_TRUE(std::filesystem::exists(lut));
  r = run("latency-table --space ofa-mbv3 --threads 0 --out " + (dir.path() / "bad.json").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "threads")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bad.json"));

  // search by the table's prediction (item 3): the most accurate network whose predicted latency
  // is within the bound, recomputed here from family.csv and the table.
  namespace search = sparsenas::search;
  const search::LatencyTable table = search::read_latency_table(lut);
  const sparsenas::space::SearchSpace sp(search::read_sparse_space(a / "sparse_space.json").space);
  const search::FamilyTable fam = search::FamilyTable::read_csv(a / "family.csv");
  std::vector<double> predicted;
  for (const auto& row : fam.rows()) predicted.push_back(table.predict_ms(sp, row.arch, "lut"));
  std::vector<double> sorted = predicted;
  std::sort(sorted.begin(), sorted.end());
  const double limit = sorted[sorted.size() / 2];  // about half the family within the bound
  int64_t expected = -1;
  for (size_t i = 0; i < predicted.size(); ++i) {
    if (predicted[i] > limit) continue;
    const auto& row = fam.rows()[i];
    if (expected < 0 || row.val_top1 > fam.rows()[expected].val_top1 ||
        (row.val_top1 == fam.rows()[expected].val_top1 && predicted[i] < predicted[expected])) {
      expected = static_cast<int64_t>(i);
    }
  }
  char limit_text[64];
  std::snprintf(limit_text, sizeof limit_text, "%.17g", limit);
  r = run("search --run " + a.string() + " --max-latency-ms " + limit_text + " --latency-table " + lut.string() +
          " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_GE(expected, 0);
  EXPECT_EQ(j["arch"], sparsenas::space::to_json(fam.rows()[expected].arch));
  EXPECT_DOUBLE_EQ(j["latency_ms"].get<double>(), predicted[expected]);
  EXPECT_LE(j["latency_ms"].get<double>(), limit);
  EXPECT_EQ(j["latency_table"], lut.string());
  // Bad tables: another shape, corrupt, missing; a flag without --max-latency-ms; and the
  // recorded prediction of a family that was built on a MACs grid.
  nlohmann::json shifted = nlohmann::json::parse(read_text(lut));
  shifted["resolution"] = 32;
  const auto lut32 = dir.path() / "lut32.json";
  std::ofstream(lut32) << shifted.dump();
  r = run("search --run " + a.string() + " --max-latency-ms 5 --latency-table " + lut32.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, lut32.string() + ": the latency table was measured for resolution 32, but the space "
                       "has resolution 28")) << r.err;
  const auto corrupt = dir.path() / "corrupt.json";
  std::ofstream(corrupt) << "{\"format\": ";
  r = run("search --run " + a.string() + " --max-latency-ms 5 --latency-table " + corrupt.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, corrupt.string())) << r.err;
  r = run("search --run " + a.string() + " --max-latency-ms 5 --latency-table " + (dir.path() / "no.json").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "no.json\": no such file")) << r.err;
  r = run("search --run " + a.string() + " --max-macs 1e12 --latency-table " + lut.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "give --max-latency-ms with it")) << r.err;
  r = run("search --run " + a.string() + " --max-latency-ms 5 --predicted-latency");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "has no predicted latency")) << r.err;
  r = run("search --run " + a.string() + " --max-latency-ms 5 --predicted-latency --device-name box");
  EXPECT_NE(r.code, 0);  // one latency source at a time

  // A family built on the table's latency grid (sparse_space.constraint latency), on a copy of the
  // run: search by the recorded prediction, which is the table's.
  const auto c = dir.path() / "c";
  std::filesystem::copy(a, c, std::filesystem::copy_options::recursive);
  const auto config = dir.path() / "latency.json";
  std::ofstream(config) << nlohmann::json{{"sparse_space", {{"constraint", "latency"}, {"latency_table", lut.string()}}}}
                               .dump();
  r = run("run --preset tiny --threads 1 --json --config " + config.string() + " --out " + c.string());
  ASSERT_EQ(r.code, 0) << r.err;
  // The devices measured on a's family no longer match c's: the report leaves them out, warning.
  EXPECT_TRUE(contains(r.err, "the accuracy against latency on device box is left out")) << r.err;
  EXPECT_TRUE(contains(r.err, "measured on another family")) << r.err;
  r = run("search --run " + c.string() + " --max-latency-ms 1e6 --predicted-latency --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["latency"], "predicted");
  EXPECT_DOUBLE_EQ(j["latency_ms"].get<double>(), j["predicted_ms"].get<double>());
  const auto best = sparsenas::space::arch_from_json(j["arch"]);
  EXPECT_NEAR(j["predicted_ms"].get<double>(), table.predict_ms(sp, best, "lut"), 0.0005);  // whole microseconds
  r = run("search --run " + c.string() + " --max-latency-ms 1e-6 --predicted-latency");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "the smallest has")) << r.err;
  // export by it: the same network, the sidecar saying the latency is predicted.
  r = run("export --run " + c.string() + " --max-latency-ms 1e6 --predicted-latency --out " +
          (dir.path() / "p.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto predicted_sidecar = nlohmann::json::parse(read_text(dir.path() / "p.json"));
  EXPECT_EQ(predicted_sidecar["arch"], j["arch"]);
  EXPECT_EQ(predicted_sidecar["accuracy"]["latency_predicted"], true);
  EXPECT_DOUBLE_EQ(predicted_sidecar["accuracy"]["latency_ms"].get<double>(), j["predicted_ms"].get<double>());
}

}  // namespace

// ----------------------------------------------------------------------------------------------
// --data PATH: the kind inferred from the folder, the split sizes, and bad data (issue 17).

/// root/<class>/<k>.png: `per_class` solid 8x8 RGB images per class, a colour per class.
void write_class_folders(const std::filesystem::path& root, const std::vector<std::string>& classes, int per_class,
                         int size = 8) {
  for (size_t c = 0; c < classes.size(); ++c) {
    for (int k = 0; k < per_class; ++k) {
      const auto v = static_cast<uint8_t>(40 * c + k);
      sparsenas::data::test::write_solid_png(root / classes[c] / (std::to_string(k) + ".png"), size, size, v,
                                             static_cast<uint8_t>(255 - v), static_cast<uint8_t>(90 + 3 * k));
    }
  }
}

TEST(CliDataTest, DataPathInfersTheKindAndResolvesAnExplicitConfig) {
  sparsenas::test::TempDir dir;
  const auto pets = dir.path() / "pets";
  write_class_folders(pets, {"dog", "cat"}, 10);
  CliRun r = run("run --preset quick --data " + pets.string() + " --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto config = nlohmann::json::parse(r.out);
  EXPECT_EQ(config["data"]["source"], "imagefolder");
  EXPECT_EQ(config["data"]["path"], pets.string());
  EXPECT_EQ(config["data"]["val_size"], 0.1);  // the quick preset's 2000 is meant for Fashion-MNIST
  EXPECT_EQ(config["data"]["test_size"], 0.1);
  EXPECT_TRUE(contains(r.err, pets.string() + " holds one folder per class (source imagefolder): 2 classes (cat, dog), "
                              "20 images"))
      << r.err;
  // The explicit spelling resolves to the same config (so to the same stage hashes).
  r = run("run --preset quick --data imagefolder --data-path " + pets.string() + " --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), config);
  // Sizes: a count or a fraction.
  r = run("run --preset quick --data " + pets.string() + " --val-size 4 --test-size 0.25 --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["val_size"], 4);
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["test_size"], 0.25);
  r = run("run --preset quick --data " + pets.string() + " --val-size 1.5 --print-config");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--val-size must be a count (an integer >= 0, e.g. 5000) or a fraction in (0, 1)"))
      << r.err;
  // Fashion-MNIST configs are as before: no test_size, the preset's count.
  r = run("run --preset quick --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json quick_data = nlohmann::json::parse(r.out)["data"];
  EXPECT_EQ(quick_data["val_size"], sparsenas::pipeline::preset_patch("quick")["data"]["val_size"]);
  EXPECT_TRUE(quick_data["val_size"].is_number_integer());
  EXPECT_FALSE(quick_data.contains("test_size"));
}

TEST(CliDataTest, BadDataIsAClearErrorAndNothingIsWritten) {
  sparsenas::test::TempDir dir;
  const auto out = dir.path() / "run";
  const auto expect_refused = [&](const std::string& args, const std::vector<std::string>& words) {
    for (const std::string command : {"run --preset tiny --threads 1 ", "train --epochs 1 --threads 1 "}) {
      const CliRun r = run(command + args + " --out " + out.string());
      EXPECT_EQ(r.code, 1) << command << args;
      for (const auto& word : words) EXPECT_TRUE(contains(r.err, word)) << command << args << ": " << r.err;
      EXPECT_FALSE(std::filesystem::exists(out)) << command << args;
    }
  };
  expect_refused("--data " + (dir.path() / "nope").string(), {(dir.path() / "nope").string(), "does not exist"});
  std::filesystem::create_directories(dir.path() / "misc" / "sub");
  std::ofstream(dir.path() / "misc" / "notes.txt") << "x";
  expect_refused("--data " + (dir.path() / "misc").string(),
                 {"none of the known kinds", "looked for", "found: notes.txt, sub/"});
  expect_refused("--data " + (dir.path() / "misc").string() + " --data-path /x", {"--data-path"});

  const auto pets = dir.path() / "pets";
  write_class_folders(pets, {"cat", "dog"}, 6);
  std::filesystem::create_directories(pets / "emu");
  expect_refused("--data " + pets.string(), {(pets / "emu").string(), "has no images"});
  std::filesystem::remove(pets / "emu");
  std::ofstream(pets / "dog" / "bad.png") << "not a png";
  expect_refused("--data " + pets.string(), {(pets / "dog" / "bad.png").string(), "cannot decode image"});
  std::filesystem::remove(pets / "dog" / "bad.png");
  sparsenas::data::test::write_solid_png(pets / "dog" / "big.png", 9, 9, 1, 2, 3);
  expect_refused("--data " + pets.string(), {"big.png", "--image-size"});

  const auto tt = dir.path() / "tt";
  write_class_folders(tt / "train", {"cat", "dog"}, 6);
  write_class_folders(tt / "test", {"cat", "emu"}, 2);
  expect_refused("--data " + tt.string(), {tt.string(), "only in train: dog; only in test: emu"});
}

// A tiny run on a class-folder dataset: the run's config.json names the kind found, the same run
// spelled explicitly resumes it (same stage hashes), and export's sidecar has the folder names.
TEST(CliDataTest, TinyRunOnAnImageFolderExportsItsClassNames) {
  sparsenas::test::TempDir dir;
  const auto fruit = dir.path() / "fruit", out = dir.path() / "run";
  write_class_folders(fruit, {"grape", "apple", "banana"}, 30, 16);  // 72 training images >= tiny's batch 64
  CliRun r = run("run --preset tiny --threads 1 --json --data " + fruit.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["skipped"].size(), 0u);
  const auto config = nlohmann::json::parse(read_text(out / "config.json"));
  EXPECT_EQ(config["data"]["source"], "imagefolder");
  EXPECT_EQ(config["data"]["val_size"], 0.1);
  EXPECT_TRUE(contains(r.err, "data: imagefolder train 72 val 9 test 9, 3x16x16, 3 classes")) << r.err;
  r = run("run --preset tiny --threads 1 --json --data imagefolder --data-path " + fruit.string() + " --out " +
          out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ran"].size(), 0u) << r.out;
  r = run("export --run " + out.string() + " --max-macs 1e12 --out " + (dir.path() / "model.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto sidecar = nlohmann::json::parse(read_text(dir.path() / "model.json"));
  EXPECT_EQ(sidecar["class_names"], nlohmann::json({"apple", "banana", "grape"}));
  EXPECT_EQ(sidecar["input"]["shape"], nlohmann::json({-1, 3, 16, 16}));
}

// ----------------------------------------------------------------------------------------------
// `sparsenas dataset glyphs` and runs on it (issue 24).

TEST(CliGlyphsTest, BadClassesIsAClearErrorAndARepeatIsANoOp) {
  sparsenas::test::TempDir dir;
  const auto out = dir.path() / "digits";
  CliRun r = run("dataset glyphs --classes runes --out " + out.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--classes: unknown class set \"runes\" (valid: latin62, latin26, digits10, cjk500, cjk100)"))
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  const std::string make = "dataset glyphs --classes digits10 --images-per-class 1 --json --out " + out.string();
  r = run(make);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["generated"], true);
  const auto manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  EXPECT_EQ(summary["hash"], manifest["hash"]);
  EXPECT_TRUE(contains(r.err, "glyphs train")) << r.err;  // progress on stderr

  r = run(make);  // the same request on the same fonts: nothing to do
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["generated"], false);
  EXPECT_EQ(read_text(out / "manifest.json"), manifest.dump(2) + "\n");

  r = run("dataset glyphs --classes digits10 --images-per-class 1 --seed 3 --out " + out.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--force")) << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(out / "manifest.json"))["hash"], manifest["hash"]);

  r = run("dataset glyphs --classes digits10 --images-per-class 1 --seed 3 --force --json --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(nlohmann::json::parse(read_text(out / "manifest.json"))["hash"], manifest["hash"]);
  EXPECT_EQ(nlohmann::json::parse(r.out)["generated"], true);
}

// A tiny run on a generated glyphs set: the data set's hash in the config, its own validation
// split, the same run found by --data DIR resumes it, and export's sidecar names the characters.
TEST(CliGlyphsTest, TinyRunOnGlyphsExportsTheCharacters) {
  sparsenas::test::TempDir dir;
  const auto data = dir.path() / "letters", out = dir.path() / "run";
  CliRun r = run("dataset glyphs --classes latin26 --images-per-class 1 --out " + data.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto manifest = nlohmann::json::parse(read_text(data / "manifest.json"));
  r = run("run --preset tiny --threads 1 --json --data glyphs --data-path " + data.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["skipped"].size(), 0u);
  const auto config = nlohmann::json::parse(read_text(out / "config.json"));
  EXPECT_EQ(config["data"]["source"], "glyphs");
  EXPECT_EQ(config["data"]["content_hash"], manifest["hash"]);
  EXPECT_EQ(config["data"]["val_size"], 0);
  EXPECT_EQ(config["data"]["augment"], false);
  const auto val_images = manifest["splits"]["val"]["images"].get<int64_t>();
  EXPECT_TRUE(contains(r.err, " val " + std::to_string(val_images) + " ")) << r.err;  // the val files, whole

  r = run("run --preset tiny --threads 1 --json --data " + data.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ran"].size(), 0u) << r.out;

  r = run("export --run " + out.string() + " --max-macs 1e12 --out " + (dir.path() / "model.pt").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto sidecar = nlohmann::json::parse(read_text(dir.path() / "model.json"));
  std::vector<std::string> letters;
  for (char c = 'A'; c <= 'Z'; ++c) letters.emplace_back(1, c);
  EXPECT_EQ(sidecar["class_names"], nlohmann::json(letters));
  EXPECT_EQ(sidecar["input"]["shape"], nlohmann::json({-1, 1, 28, 28}));

  // Another data set under the same path: another content hash, so other stage hashes.
  std::filesystem::remove_all(data);
  r = run("dataset glyphs --classes latin26 --images-per-class 1 --seed 5 --out " + data.string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run("run --preset tiny --data glyphs --data-path " + data.string() + " --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto regenerated = nlohmann::json::parse(read_text(data / "manifest.json"));
  EXPECT_NE(regenerated["hash"], manifest["hash"]);
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["content_hash"], regenerated["hash"]);
  // The glyphs presets resolve on it too.
  r = run("run --preset glyphs-quick --data-path " + data.string() + " --print-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["source"], "glyphs");
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["val_size"], 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["content_hash"], regenerated["hash"]);
}
