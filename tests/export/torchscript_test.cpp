// Unit tests for src/sparsenas/export/torchscript: the exported TorchScript module, loaded back
// with torch::jit::load (C++) and torch.jit.load (/usr/bin/python3), must give the logits of the
// extracted StaticNet in eval mode on the normalised input.
#include "sparsenas/export/torchscript.h"

#include <gtest/gtest.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"
#include "sparsenas/nn/supernet.h"
#include "support/error_of.h"
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"
#include "support/temp_dir.h"
#include "support/tensor_compare.h"

namespace sparsenas::exporter {
namespace {

namespace fs = std::filesystem;
using space::Arch;
using space::SearchSpace;
using test::error_of;
using test::randomize_state;
using test::small_space;

constexpr int kResolution = 28;
const std::vector<float> kMean = {0.2860f};
const std::vector<float> kStd = {0.3530f};

/// The reference: the StaticNet in eval mode on (x - mean) / std.
torch::Tensor reference(nn::StaticNetImpl& net, const torch::Tensor& x, const std::vector<float>& mean,
                        const std::vector<float>& std) {
  torch::NoGradGuard no_grad;
  net.eval();
  const auto m = torch::tensor(mean).reshape({1, -1, 1, 1});
  const auto s = torch::tensor(std).reshape({1, -1, 1, 1});
  return net.forward((x - m) / s);
}

torch::Tensor run_module(torch::jit::Module& module, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return module.forward({x}).toTensor();
}

using test::max_diff;

using test::contains;

class TorchScriptTest : public test::SeededTest {
 protected:
  /// Exports `arch` of `supernet`, loads the file back and compares on random inputs in [0, 1].
  void expect_round_trip(nn::Supernet& supernet, const Arch& arch, const std::vector<float>& mean = kMean,
                         const std::vector<float>& std = kStd) {
    SCOPED_TRACE(supernet->space().name() + " " + arch.to_string());
    auto net = supernet->extract(arch);
    const fs::path path = dir_.path() / "net.pt";
    save_torchscript(*net, mean, std, path);
    torch::jit::Module loaded = torch::jit::load(path.string());
    const int64_t channels = supernet->space().spec().in_channels;
    for (int64_t batch : {1, 3}) {
      const auto x = torch::rand({batch, channels, kResolution, kResolution});
      const auto expected = reference(*net, x, mean, std);
      const auto actual = run_module(loaded, x);
      ASSERT_EQ(actual.sizes(), (std::vector<int64_t>{batch, 10}));
      EXPECT_LE(max_diff(actual, expected), 1e-5);
      EXPECT_GT(expected.abs().max().item<double>(), 1e-3);  // not a trivially zero network
    }
  }

  test::TempDir dir_;
};

TEST_F(TorchScriptTest, OfaMbv3MatchesStaticNet) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  expect_round_trip(supernet, space.max_arch());
  expect_round_trip(supernet, space.min_arch());
  Rng rng(11);
  for (int i = 0; i < 3; ++i) expect_round_trip(supernet, space.sample(rng));
}

TEST_F(TorchScriptTest, ProxylessHeadMatchesStaticNet) {
  const SearchSpace space = small_space("proxyless", kResolution);
  ASSERT_EQ(space.spec().head, "proxyless");
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  expect_round_trip(supernet, space.max_arch());
  Rng rng(12);
  expect_round_trip(supernet, space.sample(rng));
}

TEST_F(TorchScriptTest, NormalisesEachChannelWithItsOwnStatistics) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution, /*in_channels=*/3);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  expect_round_trip(supernet, space.min_arch(), {0.1f, 0.5f, 0.9f}, {0.2f, 0.4f, 0.8f});
}

TEST_F(TorchScriptTest, SingleMeanAndStdApplyToEveryChannel) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution, /*in_channels=*/3);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  auto net = supernet->extract(space.min_arch());
  torch::jit::Module module = to_torchscript(*net, {0.5f}, {0.25f});
  const auto x = torch::rand({2, 3, kResolution, kResolution});
  EXPECT_LE(max_diff(run_module(module, x), reference(*net, x, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f})), 1e-5);
}

TEST_F(TorchScriptTest, ChannelsLastNetIsStoredContiguous) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  nn::to_channels_last(*supernet);
  Rng rng(13);
  const Arch arch = space.sample(rng);
  auto net = supernet->extract(arch);
  ASSERT_TRUE(nn::is_channels_last(net->stem->weight));
  torch::jit::Module module = to_torchscript(*net, kMean, kStd);
  for (const auto& item : module.named_parameters()) {
    EXPECT_TRUE(item.value.is_contiguous()) << item.name;
  }
  for (const auto& item : module.named_buffers()) {
    EXPECT_TRUE(item.value.is_contiguous()) << item.name;
  }
  const auto x = torch::rand({2, 1, kResolution, kResolution});
  EXPECT_LE(max_diff(run_module(module, x), reference(*net, x, kMean, kStd)), 1e-5);
}

TEST_F(TorchScriptTest, NamesTensorsAndRecordsMetadata) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  auto net = supernet->extract(space.max_arch());
  const fs::path path = dir_.path() / "sub" / "dir" / "net.pt";  // parent directories are created
  save_torchscript(*net, kMean, kStd, path);
  torch::jit::Module module = torch::jit::load(path.string());

  EXPECT_FALSE(module.is_training());
  EXPECT_EQ(module.attr("input_channels").toInt(), 1);
  EXPECT_EQ(module.attr("input_size").toInt(), kResolution);
  EXPECT_EQ(module.attr("num_classes").toInt(), 10);
  EXPECT_EQ(module.attr("space").toStringRef(), "ofa-mbv3");
  EXPECT_EQ(space::arch_from_string(module.attr("arch").toStringRef()), space.max_arch());
  const auto mean = module.attr("mean").toDoubleList();
  ASSERT_EQ(mean.size(), 1u);
  EXPECT_FLOAT_EQ(static_cast<float>(mean.get(0)), kMean[0]);
  EXPECT_FLOAT_EQ(static_cast<float>(module.attr("std").toDoubleList().get(0)), kStd[0]);

  // Every StaticNet tensor is there under its dotted name with '_' (BN counters excepted), as a
  // float32 CPU copy that needs no gradient.
  int64_t count = 0;
  for (const auto& item : module.named_parameters()) {
    EXPECT_EQ(item.value.scalar_type(), torch::kFloat) << item.name;
    EXPECT_TRUE(item.value.device().is_cpu()) << item.name;
    EXPECT_FALSE(item.value.requires_grad()) << item.name;
    ++count;
  }
  std::vector<std::string> tensor_names;
  for (const auto& item : module.named_parameters()) tensor_names.push_back(item.name);
  for (const auto& item : module.named_buffers()) tensor_names.push_back(item.name);
  const auto has = [&](const std::string& name) {
    return std::find(tensor_names.begin(), tensor_names.end(), name) != tensor_names.end();
  };
  int64_t expected_count = 0;
  for (const auto& item : net->named_parameters()) {
    std::string name = item.key();
    std::replace(name.begin(), name.end(), '.', '_');
    EXPECT_TRUE(has(name)) << name;
    ++expected_count;
  }
  for (const auto& item : net->named_buffers()) {
    if (contains(item.key(), "num_batches_tracked")) continue;
    std::string name = item.key();
    std::replace(name.begin(), name.end(), '.', '_');
    EXPECT_TRUE(has(name)) << name;
  }
  EXPECT_EQ(count, expected_count);
  EXPECT_TRUE(has("blocks_3_dw_weight"));
  EXPECT_TRUE(has("blocks_3_dw_bn_running_var"));
  EXPECT_TRUE(has("input_mean"));

  // No temporary file is left beside the output.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(path.parent_path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "net.pt");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(TorchScriptTest, OverwritesAnExistingFile) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  const fs::path path = dir_.path() / "net.pt";
  save_torchscript(*supernet->extract(space.max_arch()), kMean, kStd, path);
  auto small = supernet->extract(space.min_arch());
  save_torchscript(*small, kMean, kStd, path);
  torch::jit::Module loaded = torch::jit::load(path.string());
  EXPECT_EQ(space::arch_from_string(loaded.attr("arch").toStringRef()), space.min_arch());
  const auto x = torch::rand({2, 1, kResolution, kResolution});
  EXPECT_LE(max_diff(run_module(loaded, x), reference(*small, x, kMean, kStd)), 1e-5);
}

// The normalised input check_torchscript's callers pass: (x - mean) / std, as training does.
torch::Tensor normalise(const torch::Tensor& x, const std::vector<float>& mean, const std::vector<float>& std) {
  return (x - torch::tensor(mean).reshape({1, -1, 1, 1})) / torch::tensor(std).reshape({1, -1, 1, 1});
}

TEST_F(TorchScriptTest, CheckAcceptsTheFileOfTheSameNetwork) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  auto net = supernet->extract(space.max_arch());
  net->eval();
  const fs::path path = dir_.path() / "net.pt";
  save_torchscript(*net, kMean, kStd, path);
  const auto x = torch::rand({5, 1, kResolution, kResolution});
  const TorchScriptCheck check = check_torchscript(path, *net, x, normalise(x, kMean, kStd));
  EXPECT_EQ(check.images, 5);
  EXPECT_LE(check.max_abs_diff, 1e-5 * std::max(1.0, check.max_abs_logit));
  EXPECT_DOUBLE_EQ(check.max_abs_logit, reference(*net, x, kMean, kStd).abs().max().item<double>());
  EXPECT_GT(check.max_abs_logit, 1e-3);  // not a trivially zero network
}

TEST_F(TorchScriptTest, CheckRejectsTheFileOfAnotherNetwork) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  const fs::path path = dir_.path() / "net.pt";
  save_torchscript(*supernet->extract(space.max_arch()), kMean, kStd, path);
  auto other = supernet->extract(space.min_arch());
  other->eval();
  const auto x = torch::rand({2, 1, kResolution, kResolution});
  const std::string message = error_of([&] { check_torchscript(path, *other, x, normalise(x, kMean, kStd)); });
  EXPECT_TRUE(contains(message, "internal check failed: the exported file's outputs differ")) << message;
  EXPECT_TRUE(contains(message, "please report this")) << message;
}

TEST_F(TorchScriptTest, ModuleRejectsInputOfTheWrongChannelCount) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  torch::jit::Module module = to_torchscript(*supernet->extract(space.min_arch()), kMean, kStd);
  try {
    run_module(module, torch::rand({1, 3, kResolution, kResolution}));
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_TRUE(contains(e.what(), "expected a float tensor N x 1 x H x W")) << e.what();
  }
}

TEST_F(TorchScriptTest, RejectsBadNormalisationAndUnwritablePaths) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  auto net = supernet->extract(space.min_arch());
  const fs::path good = dir_.path() / "net.pt";

  std::string message = error_of([&] { save_torchscript(*net, {0.1f, 0.2f}, kStd, good); });
  EXPECT_TRUE(contains(message, "mean")) << message;
  EXPECT_TRUE(contains(message, "(1)")) << message;
  EXPECT_TRUE(contains(message, "got 2 values")) << message;

  message = error_of([&] { save_torchscript(*net, kMean, {}, good); });
  EXPECT_TRUE(contains(message, "std")) << message;
  EXPECT_TRUE(contains(message, "got 0 values")) << message;

  message = error_of([&] { to_torchscript(*net, kMean, {0.0f}); });
  EXPECT_TRUE(contains(message, "std[0]")) << message;
  EXPECT_TRUE(contains(message, "> 0")) << message;

  message = error_of([&] { to_torchscript(*net, {std::nanf("")}, kStd); });
  EXPECT_TRUE(contains(message, "mean[0]")) << message;
  EXPECT_FALSE(fs::exists(good));

  // The parent "directory" is a regular file: neither the directories nor the file can be made.
  const fs::path blocker = dir_.path() / "blocker";
  std::ofstream(blocker) << "not a directory";
  const fs::path bad = blocker / "net.pt";
  message = error_of([&] { save_torchscript(*net, kMean, kStd, bad); });
  EXPECT_TRUE(contains(message, bad.string())) << message;
  EXPECT_TRUE(contains(message, "cannot write")) << message;

  // The path is an existing directory: the temporary file is written, the rename fails.
  const fs::path directory = dir_.path() / "a_directory";
  fs::create_directories(directory / "child");
  message = error_of([&] { save_torchscript(*net, kMean, kStd, directory); });
  EXPECT_TRUE(contains(message, directory.string())) << message;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 2);  // blocker and a_directory: no temporary file left
}

// ---- Python interop -------------------------------------------------------------------------

constexpr const char* kPython = "/usr/bin/python3";

constexpr const char* kPythonScript = R"(import json
import sys

import numpy as np
import torch

model_path, input_path, output_path, meta_path, n, c, h, w = sys.argv[1:]
torch.set_num_threads(1)
m = torch.jit.load(model_path)
x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(int(n), int(c), int(h), int(w)))
with torch.no_grad():
    y = m(x)
y.numpy().astype("<f4").tofile(output_path)
with open(meta_path, "w") as f:
    json.dump({"shape": list(y.shape), "num_classes": m.num_classes, "input_channels": m.input_channels,
               "input_size": m.input_size, "arch": m.arch, "space": m.space,
               "mean": list(m.mean), "std": list(m.std), "training": m.training}, f)
)";

void write_floats(const fs::path& path, const torch::Tensor& t) {
  static_assert(sizeof(float) == 4);
  const torch::Tensor c = t.contiguous();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<std::streamsize>(c.numel() * 4));
  ASSERT_TRUE(out.good()) << path;
}

torch::Tensor read_floats(const fs::path& path, std::vector<int64_t> sizes) {
  torch::Tensor t = torch::empty(sizes, torch::kFloat);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * 4));
  EXPECT_EQ(in.gcount(), t.numel() * 4) << path;
  return t;
}

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

TEST_F(TorchScriptTest, PythonTorchJitLoadGivesTheSameLogits) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the raw float files are little-endian");
  const fs::path probe_log = dir_.path() / "probe.log";
  const std::string probe = std::string(kPython) + " -c 'import torch, numpy' >" + quote(probe_log) + " 2>&1";
  if (std::system(probe.c_str()) != 0) {
    std::ifstream log(probe_log);
    const std::string why((std::istreambuf_iterator<char>(log)), {});
    GTEST_SKIP() << kPython << " cannot import torch and numpy: " << why;
  }

  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  Rng rng(14);
  const Arch arch = space.sample(rng);
  auto net = supernet->extract(arch);
  const fs::path model = dir_.path() / "net.pt", input = dir_.path() / "input.f32",
                 output = dir_.path() / "output.f32", meta = dir_.path() / "meta.json",
                 script = dir_.path() / "run.py", log = dir_.path() / "python.log";
  save_torchscript(*net, kMean, kStd, model);
  const auto x = torch::rand({4, 1, kResolution, kResolution});
  write_floats(input, x);
  std::ofstream(script) << kPythonScript;

  const std::string command = "OMP_NUM_THREADS=1 " + std::string(kPython) + " " + quote(script) + " " +
                              quote(model) + " " + quote(input) + " " + quote(output) + " " + quote(meta) +
                              " 4 1 " + std::to_string(kResolution) + " " + std::to_string(kResolution) + " >" +
                              quote(log) + " 2>&1";
  const int status = std::system(command.c_str());
  if (status != 0) {
    std::ifstream in(log);
    FAIL() << "python failed (" << status << "): " << std::string((std::istreambuf_iterator<char>(in)), {});
  }

  const auto expected = reference(*net, x, kMean, kStd);
  EXPECT_LE(max_diff(read_floats(output, {4, 10}), expected), 1e-5);
  std::ifstream meta_in(meta);
  const auto j = nlohmann::json::parse(meta_in);
  EXPECT_EQ(j["shape"], nlohmann::json::array({4, 10}));
  EXPECT_EQ(j["num_classes"], 10);
  EXPECT_EQ(j["input_channels"], 1);
  EXPECT_EQ(j["input_size"], kResolution);
  EXPECT_EQ(j["space"], "ofa-mbv3");
  EXPECT_EQ(space::arch_from_string(j["arch"].get<std::string>()), arch);
  EXPECT_FLOAT_EQ(j["mean"][0].get<float>(), kMean[0]);
  EXPECT_FLOAT_EQ(j["std"][0].get<float>(), kStd[0]);
  EXPECT_EQ(j["training"], false);
}

}  // namespace
}  // namespace sparsenas::exporter
