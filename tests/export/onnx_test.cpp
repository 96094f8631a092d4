// Unit tests for src/sparsenas/export/onnx: the exported ONNX file, run by an independent runtime
// (OpenCV's DNN module, cv::dnn::readNetFromONNX), must give the logits of the extracted StaticNet
// (LibTorch, eval mode, BN not folded) on real Fashion-MNIST validation images, for every block
// kind of the built-in spaces; the file must pass ONNX's own checker.
//
// "Within 1e-4 relative" means: max |OpenCV logit - LibTorch logit| over all images and classes,
// divided by max |LibTorch logit|, is at most 1e-4.
#include "sparsenas/export/onnx.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <tuple>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/nn/supernet.h"
#include "support/error_of.h"
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"
#include "support/temp_dir.h"

namespace sparsenas::exporter {
namespace {

namespace fs = std::filesystem;
using space::Activation;
using space::Arch;
using space::SearchSpace;
using test::contains;
using test::error_of;
using test::randomize_state;
using test::small_space;

constexpr int kResolution = 28;
constexpr double kRelativeTolerance = 1e-4;

/// The first 16 images of the validation split `sparsenas run` uses for Fashion-MNIST (default
/// DataConfig: 5,000 images held out of the training set), with the training split's statistics.
struct ValidationImages {
  torch::Tensor uint8;  ///< [16, 1, 28, 28]
  std::vector<float> mean, std;
};

const ValidationImages* validation_images() {
  static const ValidationImages* images = []() -> const ValidationImages* {
    try {
      const data::Splits splits = data::load_splits(data::DataConfig{});
      return new ValidationImages{splits.val.images.slice(0, 0, 16).clone(), splits.mean, splits.std};
    } catch (const Error&) {
      return nullptr;
    }
  }();
  return images;
}

torch::Tensor pixels_of(const torch::Tensor& uint8) { return uint8.to(torch::kFloat).div(255.0); }

/// LibTorch's logits: the StaticNet in eval mode on the images normalised as training does.
torch::Tensor libtorch_logits(nn::StaticNetImpl& net, const torch::Tensor& uint8, const std::vector<float>& mean,
                              const std::vector<float>& std) {
  torch::NoGradGuard no_grad;
  net.eval();
  return net.forward(data::to_float_normalized(uint8, mean, std));
}

double relative_difference(const torch::Tensor& actual, const torch::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

/// (kernel, expand, SE, activation) of one block.
using BlockKind = std::tuple<int, int, bool, Activation>;

class OnnxTest : public test::SeededTest {
 protected:
  void SetUp() override {
    test::SeededTest::SetUp();
    if (!onnx_available()) GTEST_SKIP() << "this build has no ONNX support";
    images_ = validation_images();
    if (images_ == nullptr) GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  }

  /// Exports `arch`, checks the file with ONNX's checker, runs it with OpenCV on batch 1 and batch
  /// 16 of validation images and compares with LibTorch. Records the block kinds it covered.
  void expect_opencv_matches_libtorch(nn::Supernet& supernet, const Arch& arch) {
    SCOPED_TRACE(supernet->space().name() + " " + arch.to_string());
    auto net = supernet->extract(arch);
    const fs::path path = dir_.path() / "net.onnx";
    save_onnx(*net, images_->mean, images_->std, path);
    EXPECT_NO_THROW(check_onnx_model(path));
    // The same file at two batch sizes (the batch dimension is dynamic), in both orders.
    for (int64_t batch : {1, 16, 5}) {
      const torch::Tensor uint8 = images_->uint8.slice(0, 0, batch);
      const torch::Tensor expected = libtorch_logits(*net, uint8, images_->mean, images_->std);
      const torch::Tensor actual = run_onnx_opencv(path, pixels_of(uint8), /*threads=*/1);
      ASSERT_EQ(actual.sizes(), expected.sizes()) << "batch " << batch;
      EXPECT_GT(expected.abs().max().item<double>(), 1e-2);  // not a trivially zero network
      EXPECT_LE(relative_difference(actual, expected), kRelativeTolerance) << "batch " << batch;
      // Each image on its own: the batch does not mix images.
      if (batch > 1) {
        const torch::Tensor last = run_onnx_opencv(path, pixels_of(uint8.slice(0, batch - 1, batch)), 1);
        EXPECT_LE(relative_difference(last, expected.slice(0, batch - 1, batch)), kRelativeTolerance);
      }
    }
    const SearchSpace& space = supernet->space();
    size_t next = 0;
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (!space.is_active(net->arch, slot)) continue;
      const nn::StaticBlockImpl& block = *net->blocks[next++];
      ASSERT_EQ(block.dw->weight.size(2), net->arch.kernel_sizes[slot]);
      covered_.insert({net->arch.kernel_sizes[slot], net->arch.expand_ratios[slot], block.layout.se, block.layout.act});
    }
  }

  /// An architecture with every slot active whose kernels and expands cycle through the choices
  /// with the given offsets.
  static Arch cycling_arch(const SearchSpace& space, int kernel_offset, int expand_offset) {
    Arch arch = space.max_arch();
    const int kernels[] = {3, 5, 7}, expands[] = {3, 4, 6};
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      arch.kernel_sizes[slot] = kernels[(slot + kernel_offset) % 3];
      arch.expand_ratios[slot] = expands[(slot + expand_offset) % 3];
    }
    return arch;
  }

  bool covered(int kernel, int expand, bool se, Activation act) const {
    return covered_.count({kernel, expand, se, act}) > 0;
  }

  const ValidationImages* images_ = nullptr;
  std::set<BlockKind> covered_;
  test::TempDir dir_;
};

TEST_F(OnnxTest, OfaMbv3EveryBlockKindMatchesLibTorchInOpenCv) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  for (int offset = 0; offset < 3; ++offset) expect_opencv_matches_libtorch(supernet, cycling_arch(space, offset, 0));
  expect_opencv_matches_libtorch(supernet, space.min_arch());
  // ofa-mbv3 has ReLU stages with and without SE and h-swish stages with and without SE: every
  // kernel and every expand ratio must have run in each of the four.
  for (bool se : {false, true}) {
    for (Activation act : {Activation::kRelu, Activation::kHSwish}) {
      for (int k : {3, 5, 7}) {
        bool any = false;
        for (int e : {3, 4, 6}) any = any || covered(k, e, se, act);
        EXPECT_TRUE(any) << "kernel " << k << " se " << se << " act " << space::to_string(act);
      }
      for (int e : {3, 4, 6}) {
        bool any = false;
        for (int k : {3, 5, 7}) any = any || covered(k, e, se, act);
        EXPECT_TRUE(any) << "expand " << e << " se " << se << " act " << space::to_string(act);
      }
    }
  }
}

TEST_F(OnnxTest, ProxylessEveryBlockKindMatchesLibTorchInOpenCv) {
  const SearchSpace space = small_space("proxyless", kResolution);
  ASSERT_EQ(space.spec().head, "proxyless");
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  for (int offset = 0; offset < 3; ++offset) expect_opencv_matches_libtorch(supernet, cycling_arch(space, offset, 1));
  expect_opencv_matches_libtorch(supernet, space.min_arch());
  for (int k : {3, 5, 7}) {
    for (int e : {3, 4, 6}) EXPECT_TRUE(covered(k, e, false, Activation::kRelu6)) << "kernel " << k << " expand " << e;
  }
}

TEST_F(OnnxTest, RandomArchitecturesMatchLibTorchInOpenCv) {
  for (const char* name : {"ofa-mbv3", "proxyless", "compofa"}) {
    const SearchSpace space = small_space(name, kResolution);
    nn::Supernet supernet(space);
    randomize_state(*supernet);
    Rng rng(21);
    for (int i = 0; i < 2; ++i) expect_opencv_matches_libtorch(supernet, space.sample(rng));
  }
}

TEST_F(OnnxTest, ThreeChannelsAreNormalisedEachWithItsOwnStatistics) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution, /*in_channels=*/3);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  auto net = supernet->extract(space.min_arch());
  const std::vector<float> mean = {0.1f, 0.5f, 0.9f}, std = {0.2f, 0.4f, 0.8f};
  const fs::path path = dir_.path() / "rgb.onnx";
  save_onnx(*net, mean, std, path);
  // Three different channels: the image, its negative and its transpose.
  const torch::Tensor gray = images_->uint8.slice(0, 0, 4);
  const torch::Tensor rgb = torch::cat({gray, 255 - gray, gray.transpose(2, 3).contiguous()}, 1);
  const torch::Tensor expected = libtorch_logits(*net, rgb, mean, std);
  EXPECT_LE(relative_difference(run_onnx_opencv(path, pixels_of(rgb), 1), expected), kRelativeTolerance);
  // A single value applies to every channel, as to_float_normalized does.
  save_onnx(*net, {0.5f}, {0.25f}, path);
  EXPECT_LE(relative_difference(run_onnx_opencv(path, pixels_of(rgb), 1), libtorch_logits(*net, rgb, {0.5f}, {0.25f})),
            kRelativeTolerance);
}

TEST_F(OnnxTest, ChannelsLastNetExportsTheSameModel) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  const Arch arch = cycling_arch(space, 1, 2);
  const std::string contiguous = to_onnx(*supernet->extract(arch), images_->mean, images_->std);
  nn::to_channels_last(*supernet);
  auto net = supernet->extract(arch);
  ASSERT_TRUE(nn::is_channels_last(net->stem->weight));
  EXPECT_EQ(to_onnx(*net, images_->mean, images_->std), contiguous);
}

TEST_F(OnnxTest, SelfCheckAcceptsTheSameNetworkAndRejectsAnother) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  randomize_state(*supernet);
  auto net = supernet->extract(space.max_arch());
  net->eval();
  const fs::path path = dir_.path() / "net.onnx";
  save_onnx(*net, images_->mean, images_->std, path);
  const torch::Tensor uint8 = images_->uint8.slice(0, 0, 8);
  const torch::Tensor normalized = data::to_float_normalized(uint8, images_->mean, images_->std);
  const OnnxCheck check = check_onnx(path, *net, pixels_of(uint8), normalized);
  EXPECT_EQ(check.images, 8);
  EXPECT_LE(check.max_abs_diff, kRelativeTolerance * check.max_abs_logit);
  EXPECT_DOUBLE_EQ(check.max_abs_logit, libtorch_logits(*net, uint8, images_->mean, images_->std)
                                            .abs()
                                            .max()
                                            .item<double>());
  EXPECT_TRUE(contains(check.runtime, "opencv")) << check.runtime;

  auto other = supernet->extract(space.min_arch());
  other->eval();
  const std::string message = error_of([&] { check_onnx(path, *other, pixels_of(uint8), normalized); });
  EXPECT_TRUE(contains(message, "internal check failed")) << message;
  EXPECT_TRUE(contains(message, "please report this")) << message;
}

TEST_F(OnnxTest, OnnxCheckerRejectsFilesThatAreNotValidModels) {
  // An empty file parses as an empty ModelProto: only the checker can say it is not a model.
  const fs::path empty = dir_.path() / "empty.onnx";
  std::ofstream(empty).flush();
  std::string message = error_of([&] { check_onnx_model(empty); });
  EXPECT_TRUE(contains(message, empty.string())) << message;
  EXPECT_TRUE(contains(message, "fails ONNX's checker")) << message;

  const fs::path garbage = dir_.path() / "garbage.onnx";
  std::ofstream(garbage) << "\xff\xff\xff\xff not a protobuf";
  message = error_of([&] { check_onnx_model(garbage); });
  EXPECT_TRUE(contains(message, garbage.string())) << message;
  EXPECT_TRUE(contains(message, "not a valid ONNX model")) << message;

  message = error_of([&] { run_onnx_opencv(garbage, torch::zeros({1, 1, kResolution, kResolution})); });
  EXPECT_TRUE(contains(message, garbage.string())) << message;
  EXPECT_TRUE(contains(message, "OpenCV DNN cannot run it")) << message;
}

TEST_F(OnnxTest, LayersWithoutAnOnnxMappingAreClearErrorsAndWriteNothing) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  const fs::path path = dir_.path() / "net.onnx";

  auto circular = supernet->extract(space.min_arch());
  circular->blocks[2]->dw->options.padding_mode(torch::kCircular);
  std::string message = error_of([&] { save_onnx(*circular, images_->mean, images_->std, path); });
  EXPECT_TRUE(contains(message, "blocks_2_dw.padding_mode")) << message;
  EXPECT_TRUE(contains(message, "expected zeros")) << message;
  EXPECT_TRUE(contains(message, "got kCircular") || contains(message, "got circular")) << message;
  EXPECT_FALSE(fs::exists(path));

  auto same = supernet->extract(space.min_arch());
  same->stem->options.padding(torch::kSame);
  message = error_of([&] { save_onnx(*same, images_->mean, images_->std, path); });
  EXPECT_TRUE(contains(message, "stem.padding")) << message;
  EXPECT_TRUE(contains(message, "'same'")) << message;
  EXPECT_FALSE(fs::exists(path));

  auto head = supernet->extract(space.min_arch());
  head->spec.head = "transformer";
  message = error_of([&] { save_onnx(*head, images_->mean, images_->std, path); });
  EXPECT_TRUE(contains(message, "spec.head")) << message;
  EXPECT_TRUE(contains(message, "got transformer")) << message;
  EXPECT_FALSE(fs::exists(path));

  message = error_of([&] { save_onnx(*head, {0.1f, 0.2f}, images_->std, path); });
  EXPECT_TRUE(contains(message, "mean")) << message;
  EXPECT_TRUE(contains(message, "got 2 values")) << message;
  message = error_of([&] { to_onnx(*supernet->extract(space.min_arch()), images_->mean, {0.0f}); });
  EXPECT_TRUE(contains(message, "std[0]")) << message;
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(OnnxTest, UnwritablePathsAreClearErrorsAndLeaveNoTemporaryFile) {
  const SearchSpace space = small_space("ofa-mbv3", kResolution);
  nn::Supernet supernet(space);
  auto net = supernet->extract(space.min_arch());

  // The parent "directory" is a regular file.
  const fs::path blocker = dir_.path() / "blocker";
  std::ofstream(blocker) << "not a directory";
  const fs::path bad = blocker / "net.onnx";
  std::string message = error_of([&] { save_onnx(*net, images_->mean, images_->std, bad); });
  EXPECT_TRUE(contains(message, bad.string())) << message;
  EXPECT_TRUE(contains(message, "cannot write ONNX file")) << message;

  // The path is an existing directory: the temporary file is written, the rename fails.
  const fs::path directory = dir_.path() / "a_directory";
  fs::create_directories(directory / "child");
  message = error_of([&] { save_onnx(*net, images_->mean, images_->std, directory); });
  EXPECT_TRUE(contains(message, directory.string())) << message;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 2);  // blocker and a_directory: no temporary file left

  // An existing file is replaced whole.
  const fs::path path = dir_.path() / "net.onnx";
  save_onnx(*supernet->extract(space.max_arch()), images_->mean, images_->std, path);
  save_onnx(*net, images_->mean, images_->std, path);
  const torch::Tensor uint8 = images_->uint8.slice(0, 0, 2);
  EXPECT_LE(relative_difference(run_onnx_opencv(path, pixels_of(uint8), 1),
                                libtorch_logits(*net, uint8, images_->mean, images_->std)),
            kRelativeTolerance);
}

}  // namespace
}  // namespace sparsenas::exporter
