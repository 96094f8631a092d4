// Tests of src/sparsenas/data/data_config.h for one's own data: resolve_data_config (source
// "auto", default split sizes), the imagefolder split in load_splits, and bad-data errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data/data_test_util.h"
#include "sparsenas/data/data_config.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

/// Class c of `sizes` gets sizes[c] solid 2x2 PNGs; image k overall has every pixel = k.
void write_image_folder(const fs::path& root, const std::vector<std::string>& classes, const std::vector<int>& sizes) {
  int id = 0;
  for (size_t c = 0; c < classes.size(); ++c)
    for (int i = 0; i < sizes[c]; ++i, ++id) {
      const auto v = static_cast<uint8_t>(id);
      test::write_solid_png(root / classes[c] / ("img" + std::to_string(100 + i) + ".png"), 2, 2, v, v, v);
    }
}

std::vector<int64_t> ids(const Dataset& d) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < d.size(); ++i) out.push_back(d.images[i][0][0][0].item<uint8_t>());
  return out;
}

std::vector<int64_t> per_class(const Dataset& d) {
  std::vector<int64_t> counts(d.class_names.size(), 0);
  for (int64_t i = 0; i < d.size(); ++i) ++counts[d.labels[i].item<int64_t>()];
  return counts;
}

class OwnDataTest : public ::testing::Test {
 protected:
  void SetUp() override { write_image_folder(root(), {"a", "b", "c"}, {10, 20, 30}); }
  fs::path root() const { return dir_.path() / "pets"; }
  DataConfig auto_config() const {
    DataConfig c;
    c.source = "auto";
    c.path = root().string();
    return c;
  }
  sparsenas::test::TempDir dir_;
};

TEST_F(OwnDataTest, FashionMnistConfigsResolveUnchanged) {
  DataConfig c;
  c.val_size = 2000;  // a preset's count
  const nlohmann::json before = c;
  resolve_data_config(c, /*val_size_given=*/false);
  EXPECT_EQ(nlohmann::json(c), before);
  EXPECT_FALSE(before.contains("test_size"));  // other sources' JSON (and hashes) as before
}

TEST_F(OwnDataTest, AutoBecomesTheKindFoundWithFractionSizes) {
  DataConfig c = auto_config();
  c.val_size = 2000;
  resolve_data_config(c, /*val_size_given=*/false);
  EXPECT_EQ(c.source, "imagefolder");
  EXPECT_EQ(c.val_size, kDefaultSplitFraction);
  EXPECT_EQ(c.test_size, kDefaultSplitFraction);
  const nlohmann::json j = c;
  EXPECT_EQ(j["source"], "imagefolder");
  EXPECT_EQ(j["test_size"], 0.1);
  EXPECT_EQ(j.get<DataConfig>().test_size, 0.1);
  // Sizes the user gave stay.
  DataConfig given = auto_config();
  given.val_size = 3;
  given.test_size = 6;
  resolve_data_config(given, /*val_size_given=*/true);
  EXPECT_EQ(given.val_size, 3);
  EXPECT_EQ(given.test_size, 6);
}

TEST_F(OwnDataTest, ImageFolderSplitIsStratifiedAndSeeded) {
  DataConfig c = auto_config();
  resolve_data_config(c, false);
  c.split_seed = 4;
  const Splits s = load_splits(c);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.test.class_names, s.train.class_names);
  EXPECT_EQ(per_class(s.val), (std::vector<int64_t>{1, 2, 3}));  // 10% of each class
  EXPECT_EQ(per_class(s.test), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(per_class(s.train), (std::vector<int64_t>{8, 16, 24}));
  std::set<int64_t> all;
  for (const Dataset* d : {&s.train, &s.val, &s.test}) {
    for (int64_t i = 0; i < d->size(); ++i) {
      const int64_t id = ids(*d)[i];
      EXPECT_TRUE(all.insert(id).second) << "image " << id << " in two splits";
      EXPECT_EQ(d->labels[i].item<int64_t>(), id < 10 ? 0 : id < 30 ? 1 : 2) << "label of image " << id;
    }
  }
  EXPECT_EQ(all.size(), 60u);
  EXPECT_EQ(ids(load_splits(c).val), ids(s.val));
  c.split_seed = 5;
  EXPECT_NE(ids(load_splits(c).val), ids(s.val));
}

TEST_F(OwnDataTest, ImageFolderCountsAndLimits) {
  DataConfig c = auto_config();
  c.val_size = 12;
  c.test_size = 0.5;
  resolve_data_config(c, /*val_size_given=*/true);
  const Splits full = load_splits(c);
  EXPECT_EQ(full.val.size(), 12);
  EXPECT_EQ(full.test.size(), 30);
  EXPECT_EQ(full.train.size(), 18);
  c.train_limit = 5;
  c.test_limit = 4;
  const Splits small = load_splits(c);
  EXPECT_EQ(small.train.size(), 5);
  EXPECT_EQ(small.test.size(), 4);
  EXPECT_EQ(ids(small.val), ids(full.val));
  c.val_size = 0.6;
  EXPECT_THAT(error_message([&] { load_splits(c); }), HasSubstr("must be fewer than the 60 images"));
}

TEST_F(OwnDataTest, SmallTrainTestFolderWorksWithTheDefaultSizes) {
  // Used to fail: "val_size must be < the number of training images (40), got 5000".
  write_image_folder(dir_.path() / "small" / "train", {"x", "y"}, {20, 20});
  write_image_folder(dir_.path() / "small" / "test", {"x", "y"}, {3, 3});
  DataConfig c;
  c.source = "auto";
  c.path = (dir_.path() / "small").string();
  resolve_data_config(c, /*val_size_given=*/false);
  EXPECT_EQ(c.source, "folder");
  const Splits s = load_splits(c);
  EXPECT_EQ(s.val.size(), 4);
  EXPECT_EQ(s.train.size(), 36);
  EXPECT_EQ(s.test.size(), 6);
}

TEST_F(OwnDataTest, BadDataErrorsNameThePathAndTheProblem) {
  DataConfig c = auto_config();
  resolve_data_config(c, false);
  fs::create_directories(root() / "d_empty");
  std::string msg = error_message([&] { load_splits(c); });
  EXPECT_THAT(msg, HasSubstr((root() / "d_empty").string()));
  EXPECT_THAT(msg, HasSubstr("has no images"));
  fs::remove(root() / "d_empty");

  test::write_bytes(root() / "b" / "broken.png", {'n', 'o', 'p', 'e'});
  msg = error_message([&] { load_splits(c); });
  EXPECT_THAT(msg, HasSubstr("cannot decode image"));
  EXPECT_THAT(msg, HasSubstr((root() / "b" / "broken.png").string()));
  fs::remove(root() / "b" / "broken.png");

  test::write_solid_png(root() / "c" / "wide.png", 3, 2, 0, 0, 0);
  msg = error_message([&] { load_splits(c); });
  EXPECT_THAT(msg, HasSubstr("wide.png"));
  EXPECT_THAT(msg, HasSubstr("set image_size (--image-size N)"));
  c.image_size = 2;
  EXPECT_EQ(load_splits(c).train.height(), 2);
}

TEST_F(OwnDataTest, TrainAndTestClassesMustAgree) {
  write_image_folder(dir_.path() / "tt" / "train", {"a", "b"}, {4, 4});
  write_image_folder(dir_.path() / "tt" / "test", {"a", "c"}, {2, 2});
  DataConfig c;
  c.source = "folder";
  c.path = (dir_.path() / "tt").string();
  c.val_size = 2;
  const std::string msg = error_message([&] { load_splits(c); });
  EXPECT_THAT(msg, HasSubstr((dir_.path() / "tt").string()));
  EXPECT_THAT(msg, HasSubstr("train and test class names must match"));
  EXPECT_THAT(msg, HasSubstr("only in train: b; only in test: c"));
}

TEST(SplitSizeTest, CountsAndFractions) {
  EXPECT_TRUE(is_split_size(0));
  EXPECT_TRUE(is_split_size(5000));
  EXPECT_TRUE(is_split_size(0.1));
  EXPECT_FALSE(is_split_size(-1));
  EXPECT_FALSE(is_split_size(1.0));
  EXPECT_FALSE(is_split_size(0.0));
  EXPECT_FALSE(is_split_size("10"));
  EXPECT_EQ(split_count(5000, 60000), 5000);
  EXPECT_EQ(split_count(0.1, 2000), 200);
  EXPECT_EQ(split_count(0.25, 10), 3);  // 2.5 rounds away from zero
  EXPECT_THAT(error_message([] { split_count(1.5, 10); }), HasSubstr("got 1.5"));
}

}  // namespace
}  // namespace sparsenas::data
