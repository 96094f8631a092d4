// Unit tests for src/sparsenas/data/image_folder.h: the image-folder loader and its errors.
#include "sparsenas/data/image_folder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::Bytes;
using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 2 classes x 2 tiny PNGs; "cat" sorts before "dog".
    test::write_solid_png(root() / "dog" / "1.png", 4, 4, 10, 20, 30);
    test::write_solid_png(root() / "dog" / "0.png", 4, 4, 40, 50, 60);
    test::write_solid_png(root() / "cat" / "a.PNG", 4, 4, 200, 100, 0);
    // A gradient image checks the pixel layout: (x, y) has R = 10 x + y, G = 100, B = 7.
    Bytes pixels;
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) pixels.insert(pixels.end(), {uint8_t(10 * x + y), 100, 7});
    test::write_png(root() / "cat" / "b.png", 4, 4, 3, pixels);
    test::write_bytes(root() / "cat" / "notes.txt", {'h', 'i'});  // ignored
  }
  fs::path root() const { return dir_.path() / "train"; }

  sparsenas::test::TempDir dir_;
};

TEST_F(ImageFolderTest, LoadsClassesInSortedOrder) {
  const Dataset d = load_image_folder(root(), /*image_size=*/0, /*channels=*/3);
  ASSERT_EQ(d.size(), 4);
  EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{4, 3, 4, 4}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({0, 0, 1, 1}, torch::kLong)));
  EXPECT_TRUE(d.images[0][0].eq(200).all().item<bool>());  // cat/a.PNG
  EXPECT_EQ(d.images[1][0][2][3].item<uint8_t>(), 32);     // cat/b.png, y = 2, x = 3
  EXPECT_TRUE(d.images[1][1].eq(100).all().item<bool>());
  EXPECT_TRUE(d.images[2][2].eq(60).all().item<bool>());  // dog/0.png
}

TEST_F(ImageFolderTest, ConvertsToGrayscale) {
  const Dataset d = load_image_folder(root(), 0, /*channels=*/1);
  EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{4, 1, 4, 4}));
}

TEST_F(ImageFolderTest, ResizesToImageSize) {
  const Dataset d = load_image_folder(root(), /*image_size=*/8, 3);
  EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_TRUE(d.images[3][1].eq(20).all().item<bool>());  // a solid image stays solid
}

TEST_F(ImageFolderTest, UndecodableFileNamesIt) {
  test::write_bytes(root() / "dog" / "broken.png", {'n', 'o', 't', ' ', 'p', 'n', 'g'});
  const std::string msg = error_message([&] { load_image_folder(root(), 0, 3); });
  EXPECT_THAT(msg, HasSubstr("cannot decode image"));
  EXPECT_THAT(msg, HasSubstr("broken.png"));
}

TEST_F(ImageFolderTest, NativeSizesMustAgree) {
  test::write_solid_png(root() / "dog" / "2.png", 5, 4, 1, 2, 3);
  const std::string msg = error_message([&] { load_image_folder(root(), 0, 3); });
  EXPECT_THAT(msg, HasSubstr("2.png"));
  EXPECT_THAT(msg, HasSubstr("(4x4), got 5x4; set image_size"));
  EXPECT_EQ(load_image_folder(root(), 4, 3).size(), 5);
}

TEST_F(ImageFolderTest, NeedsTwoClassesWithImages) {
  fs::remove_all(root() / "dog");
  EXPECT_THAT(error_message([&] { load_image_folder(root(), 0, 3); }),
              HasSubstr("expected at least 2 class sub-folders, got 1"));
  fs::create_directories(root() / "empty");
  EXPECT_THAT(error_message([&] { load_image_folder(root(), 0, 3); }), HasSubstr("has no images"));
  EXPECT_THAT(error_message([&] { load_image_folder(dir_.path() / "nope", 0, 3); }),
              HasSubstr("not found"));
}

}  // namespace
}  // namespace sparsenas::data
