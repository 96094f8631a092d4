// Unit tests for src/sparsenas/data/data_source.h: telling a dataset's kind from its layout.
#include "sparsenas/data/data_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

void write_classes(const fs::path& root, const std::vector<std::string>& classes, int per_class) {
  for (const auto& c : classes)
    for (int i = 0; i < per_class; ++i) test::write_solid_png(root / c / (std::to_string(i) + ".png"), 4, 4, 1, 2, 3);
}

class DataSourceTest : public ::testing::Test {
 protected:
  fs::path root() const { return dir_.path() / "data"; }
  sparsenas::test::TempDir dir_;
};

TEST_F(DataSourceTest, ClassSubFoldersAreAnImageFolder) {
  write_classes(root(), {"dog", "cat", "fish"}, 3);
  test::write_bytes(root() / "README.txt", {'x'});  // a stray file beside the classes
  const DataSourceInfo info = infer_data_source(root());
  EXPECT_EQ(info.source, "imagefolder");
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog", "fish"}));
  EXPECT_EQ(info.images, 9);
  const std::string line = info.describe(root());
  EXPECT_THAT(line, HasSubstr(root().string()));
  EXPECT_THAT(line, HasSubstr("source imagefolder): 3 classes (cat, dog, fish), 9 images"));
}

TEST_F(DataSourceTest, TrainAndTestFoldersAreAFolder) {
  write_classes(root() / "train", {"a", "b"}, 3);
  write_classes(root() / "test", {"a", "b"}, 1);
  const DataSourceInfo info = infer_data_source(root());
  EXPECT_EQ(info.source, "folder");
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(info.train_images, 6);
  EXPECT_EQ(info.test_images, 2);
  EXPECT_THAT(info.describe(root()), HasSubstr("2 classes (a, b), 6 training and 2 test images"));
}

TEST_F(DataSourceTest, IdxFilesPlainOrGzip) {
  test::write_idx_dir(root(), /*num_train=*/12, /*num_test=*/5, 3, 3, 2, /*gzip=*/true);
  DataSourceInfo info = infer_data_source(root());
  EXPECT_EQ(info.source, "idx");
  EXPECT_EQ(info.train_images, 12);
  EXPECT_EQ(info.test_images, 5);
  test::write_idx_dir(dir_.path() / "plain", 7, 4, 3, 3, 2, /*gzip=*/false);
  info = infer_data_source(dir_.path() / "plain");
  EXPECT_EQ(info.source, "idx");
  EXPECT_EQ(info.train_images, 7);
}

TEST_F(DataSourceTest, CifarBinariesAtTheRootOrNested) {
  const fs::path c10 = root() / "cifar-10-batches-bin";
  for (int i = 1; i <= 5; ++i) test::write_bytes(c10 / ("data_batch_" + std::to_string(i) + ".bin"), test::Bytes(2 * 3073));
  test::write_bytes(c10 / "test_batch.bin", test::Bytes(3073));
  DataSourceInfo info = infer_data_source(root());
  EXPECT_EQ(info.source, "cifar10");
  EXPECT_EQ(info.train_images, 10);
  EXPECT_EQ(info.test_images, 1);
  EXPECT_EQ(infer_data_source(c10).source, "cifar10");
  const fs::path c100 = dir_.path() / "c100";
  test::write_bytes(c100 / "train.bin", test::Bytes(3 * 3074));
  test::write_bytes(c100 / "test.bin", test::Bytes(3074));
  info = infer_data_source(c100);
  EXPECT_EQ(info.source, "cifar100");
  EXPECT_EQ(info.train_images, 3);
}

TEST_F(DataSourceTest, UnknownLayoutSaysWhatWasLookedForAndFound) {
  test::write_bytes(root() / "notes.txt", {'x'});
  fs::create_directories(root() / "empty_class");
  const std::string msg = error_message([&] { infer_data_source(root()); });
  EXPECT_THAT(msg, HasSubstr(root().string()));
  EXPECT_THAT(msg, HasSubstr("is none of the known kinds; looked for: train/ and test/"));
  EXPECT_THAT(msg, HasSubstr("t10k-labels-idx1-ubyte"));
  EXPECT_THAT(msg, HasSubstr("data_batch_1.bin"));
  EXPECT_THAT(msg, HasSubstr("one per class (imagefolder)"));
  EXPECT_THAT(msg, HasSubstr("found: empty_class/, notes.txt"));
  EXPECT_THAT(error_message([&] { infer_data_source(dir_.path() / "nope"); }), HasSubstr("does not exist"));
  EXPECT_THAT(error_message([&] { infer_data_source(root() / "notes.txt"); }), HasSubstr("is not a directory"));
}

TEST(ImageFileNameTest, KnownExtensionsInAnyCase) {
  EXPECT_TRUE(is_image_file_name("a.PNG"));
  EXPECT_TRUE(is_image_file_name("a.jpeg"));
  EXPECT_TRUE(is_image_file_name("a.Jpg"));
  EXPECT_TRUE(is_image_file_name("a.bmp"));
  EXPECT_FALSE(is_image_file_name("a.txt"));
  EXPECT_FALSE(is_image_file_name("png"));
}

}  // namespace
}  // namespace sparsenas::data
