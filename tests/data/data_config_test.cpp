// Unit tests for src/sparsenas/data/data_config.h: validation, JSON, and load_splits.
#include "sparsenas/data/data_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data/data_test_util.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// ----------------------------------------------------------------------------------------------
// Validation and JSON

TEST(DataConfigTest, DefaultsAreValid) {
  const DataConfig config;
  EXPECT_NO_THROW(config.validate());
  EXPECT_EQ(config.source, "fashion-mnist");
  EXPECT_EQ(config.val_size, 5000);
  EXPECT_TRUE(config.augment);
}

TEST(DataConfigTest, ValidateNamesFieldExpectedAndActual) {
  const auto msg = [](const std::function<void(DataConfig&)>& edit) {
    DataConfig config;
    edit(config);
    return error_message([&] { config.validate(); });
  };
  EXPECT_THAT(msg([](DataConfig& c) { c.source = "mnist"; }),
              HasSubstr("source must be one of {fashion-mnist, idx, glyphs, cifar10, cifar100, folder, "
                        "imagefolder, auto}, got 'mnist'"));
  EXPECT_THAT(msg([](DataConfig& c) { c.val_size = -1; }),
              HasSubstr("val_size must be a count (an integer >= 0) or a fraction in (0, 1), got -1"));
  EXPECT_THAT(msg([](DataConfig& c) { c.val_size = 1.5; }),
              HasSubstr("val_size must be a count (an integer >= 0) or a fraction in (0, 1), got 1.5"));
  EXPECT_THAT(msg([](DataConfig& c) { c.test_size = 0.2; }),
              HasSubstr("test_size is only used with source 'imagefolder'"));
  EXPECT_THAT(msg([](DataConfig& c) { c.source = "imagefolder"; }),
              HasSubstr("path must name the dataset directory for source 'imagefolder'"));
  EXPECT_THAT(msg([](DataConfig& c) { c.image_size = -3; }), HasSubstr("image_size must be"));
  EXPECT_THAT(msg([](DataConfig& c) { c.train_limit = -1; }), HasSubstr("train_limit must be"));
  EXPECT_THAT(msg([](DataConfig& c) { c.test_limit = -1; }), HasSubstr("test_limit must be"));
  EXPECT_THAT(msg([](DataConfig& c) { c.channels = 2; }),
              HasSubstr("channels must be 0 (native), 1 or 3, got 2"));
  EXPECT_THAT(msg([](DataConfig& c) { c.channels = 3; }),
              HasSubstr("channels must be 0 or 1 for source 'fashion-mnist'"));
  EXPECT_THAT(msg([](DataConfig& c) { c.source = "idx"; }),
              HasSubstr("path must name the IDX directory"));
  EXPECT_THAT(msg([](DataConfig& c) { c.source = "cifar10"; }),
              HasSubstr("path must name the dataset directory for source 'cifar10'"));
  EXPECT_THAT(msg([](DataConfig& c) {
                c.source = "idx";
                c.train_images = "a";
                c.train_labels = "b";
              }),
              HasSubstr("missing: test_images, test_labels"));
  EXPECT_THAT(msg([](DataConfig& c) {
                c.source = "cifar100";
                c.path = "x";
                c.test_labels = "b";
              }),
              HasSubstr("test_labels is only used with source 'idx', got source 'cifar100'"));
}

TEST(DataConfigTest, JsonRoundTrip) {
  DataConfig config;
  config.source = "idx";
  config.path = "/data/mnist";
  config.image_size = 32;
  config.val_size = 100;
  config.split_seed = 7;
  config.train_limit = 1000;
  config.test_limit = 50;
  config.augment = false;
  const nlohmann::json j = config;
  const auto back = j.get<DataConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.path, "/data/mnist");
  EXPECT_EQ(back.split_seed, 7u);
  EXPECT_FALSE(back.augment);
}

TEST(DataConfigTest, JsonKeepsDefaultsForAbsentKeys) {
  const auto config = nlohmann::json::parse(R"({"val_size": 10})").get<DataConfig>();
  EXPECT_EQ(config.val_size, 10);
  EXPECT_EQ(config.source, "fashion-mnist");
}

TEST(DataConfigTest, JsonRejectsUnknownKeysListingValidOnes) {
  const std::string msg =
      error_message([] { nlohmann::json::parse(R"({"val_sise": 10})").get<DataConfig>(); });
  EXPECT_THAT(msg, HasSubstr("unknown key 'val_sise'"));
  EXPECT_THAT(msg, HasSubstr("valid keys: source, path, train_images"));
  EXPECT_THAT(msg, HasSubstr("val_size"));
}

TEST(DataConfigTest, JsonRejectsWrongTypes) {
  EXPECT_THAT(
      error_message([] { nlohmann::json::parse(R"({"val_size": "10"})").get<DataConfig>(); }),
      HasSubstr("DataConfig.val_size must be a count (an integer >= 0) or a fraction in (0, 1), got \"10\""));
  EXPECT_THAT(error_message([] { nlohmann::json::parse(R"({"augment": 1})").get<DataConfig>(); }),
              HasSubstr("DataConfig.augment must be a boolean"));
  EXPECT_THAT(
      error_message([] { nlohmann::json::parse(R"({"split_seed": -1})").get<DataConfig>(); }),
      HasSubstr("DataConfig.split_seed must be a non-negative integer"));
  EXPECT_THAT(error_message([] { nlohmann::json::parse("[]").get<DataConfig>(); }),
              HasSubstr("must be a JSON object"));
}

// ----------------------------------------------------------------------------------------------
// load_splits

/// The pixel value that identifies each image (the fixtures fill image i with the value i).
std::vector<int64_t> ids(const Dataset& d) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < d.size(); ++i) out.push_back(d.images[i][0][0][0].item<uint8_t>());
  return out;
}

class LoadSplitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_dir(dir_.path(), /*num_train=*/50, /*num_test=*/20, /*h=*/6, /*w=*/5,
                        /*num_classes=*/3, /*gzip=*/true);
    config_.source = "idx";
    config_.path = dir_.path().string();
    config_.val_size = 10;
    config_.split_seed = 1;
  }
  sparsenas::test::TempDir dir_;
  DataConfig config_;
};

TEST_F(LoadSplitsTest, SplitIsDisjointAndCoversTrainSet) {
  const Splits s = load_splits(config_);
  EXPECT_EQ(s.train.size(), 40);
  EXPECT_EQ(s.val.size(), 10);
  EXPECT_EQ(s.test.size(), 20);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"0", "1", "2"}));
  std::set<int64_t> all;
  for (const int64_t id : ids(s.train)) EXPECT_TRUE(all.insert(id).second) << "duplicate " << id;
  for (const int64_t id : ids(s.val)) EXPECT_TRUE(all.insert(id).second) << "val in train " << id;
  EXPECT_EQ(all.size(), 50u);
  // Labels travel with their images (fixture: label = id % 3).
  for (int64_t i = 0; i < s.val.size(); ++i)
    EXPECT_EQ(s.val.labels[i].item<int64_t>(), ids(s.val)[i] % 3);
}

TEST_F(LoadSplitsTest, SameSeedSameSplitOtherSeedOtherSplit) {
  const Splits a = load_splits(config_);
  const Splits b = load_splits(config_);
  EXPECT_EQ(ids(a.val), ids(b.val));
  EXPECT_EQ(ids(a.train), ids(b.train));
  config_.split_seed = 2;
  EXPECT_NE(ids(load_splits(config_).val), ids(a.val));
}

TEST_F(LoadSplitsTest, LimitsKeepValidationSplit) {
  const Splits full = load_splits(config_);
  config_.train_limit = 15;
  config_.test_limit = 5;
  const Splits small = load_splits(config_);
  EXPECT_EQ(small.train.size(), 15);
  EXPECT_EQ(small.test.size(), 5);
  EXPECT_EQ(ids(small.val), ids(full.val));
  const std::vector<int64_t> full_train = ids(full.train);
  for (const int64_t id : ids(small.train))
    EXPECT_NE(std::find(full_train.begin(), full_train.end(), id), full_train.end());
  EXPECT_EQ(ids(load_splits(config_).test), ids(small.test));
}

TEST_F(LoadSplitsTest, StatsComeFromTrainSplit) {
  const Splits s = load_splits(config_);
  const ChannelStats stats = channel_stats(s.train);
  EXPECT_EQ(s.mean, stats.mean);
  EXPECT_EQ(s.std, stats.std);
  // Image i is filled with i, so the mean is the mean id / 255.
  const std::vector<int64_t> train_ids = ids(s.train);
  double sum = 0;
  for (const int64_t id : train_ids) sum += static_cast<double>(id);
  EXPECT_NEAR(s.mean[0], sum / static_cast<double>(train_ids.size()) / 255.0, 1e-6);
}

TEST_F(LoadSplitsTest, ValSizeMustBeBelowTrainSize) {
  config_.val_size = 50;
  EXPECT_THAT(error_message([&] { load_splits(config_); }),
              HasSubstr("val_size must be < the number of training images (50), got 50"));
}

TEST_F(LoadSplitsTest, ZeroValSizeGivesEmptyValidationSplit) {
  config_.val_size = 0;
  const Splits s = load_splits(config_);
  EXPECT_EQ(s.train.size(), 50);
  EXPECT_EQ(s.val.size(), 0);
  EXPECT_EQ(s.val.images.sizes(), (std::vector<int64_t>{0, 1, 6, 5}));
}

TEST_F(LoadSplitsTest, ResizesToImageSize) {
  config_.image_size = 8;
  const Splits s = load_splits(config_);
  EXPECT_EQ(s.train.images.sizes(), (std::vector<int64_t>{40, 1, 8, 8}));
  EXPECT_EQ(s.test.images.sizes(), (std::vector<int64_t>{20, 1, 8, 8}));
}

TEST_F(LoadSplitsTest, ExplicitIdxFiles) {
  DataConfig config;
  config.source = "idx";
  config.train_images = (dir_.path() / "train-images-idx3-ubyte.gz").string();
  config.train_labels = (dir_.path() / "train-labels-idx1-ubyte.gz").string();
  config.test_images = (dir_.path() / "t10k-images-idx3-ubyte.gz").string();
  config.test_labels = (dir_.path() / "t10k-labels-idx1-ubyte.gz").string();
  config.val_size = 5;
  const Splits s = load_splits(config);
  EXPECT_EQ(s.train.size(), 45);
  EXPECT_EQ(s.test.size(), 20);
}

TEST_F(LoadSplitsTest, FashionMnistSourceFromPath) {
  config_.source = "fashion-mnist";
  const Splits s = load_splits(config_);
  EXPECT_EQ(s.train.num_classes(), 10);
  EXPECT_EQ(s.test.class_names[9], "Ankle boot");
}

TEST_F(LoadSplitsTest, MissingFileNamesIt) {
  fs::remove(dir_.path() / "t10k-labels-idx1-ubyte.gz");
  EXPECT_THAT(error_message([&] { load_splits(config_); }), HasSubstr("t10k-labels-idx1-ubyte.gz"));
}

TEST(LoadSplitsFolderTest, TrainAndTestFolders) {
  sparsenas::test::TempDir dir;
  for (const char* split : {"train", "test"}) {
    for (const char* cls : {"a", "b"}) {
      for (int i = 0; i < 3; ++i) {
        test::write_solid_png(dir.path() / split / cls / (std::to_string(i) + ".png"), 3, 3,
                              static_cast<uint8_t>(i * 50), 0, 255);
      }
    }
  }
  DataConfig config;
  config.source = "folder";
  config.path = dir.path().string();
  config.val_size = 2;
  config.image_size = 4;
  const Splits s = load_splits(config);
  EXPECT_EQ(s.train.size(), 4);
  EXPECT_EQ(s.val.size(), 2);
  EXPECT_EQ(s.test.size(), 6);
  EXPECT_EQ(s.train.images.sizes(), (std::vector<int64_t>{4, 3, 4, 4}));
  ASSERT_EQ(s.mean.size(), 3u);
  EXPECT_FLOAT_EQ(s.mean[2], 1.0f);
  EXPECT_FLOAT_EQ(s.std[1], 0.0f);

  fs::rename(dir.path() / "test" / "b", dir.path() / "test" / "c");
  EXPECT_THAT(error_message([&] { load_splits(config); }),
              HasSubstr("train and test class names must match, got train {a, b} and test {a, c}"));
}

}  // namespace
}  // namespace sparsenas::data
