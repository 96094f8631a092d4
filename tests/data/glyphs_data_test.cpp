// A glyphs data set read through DataConfig (data_config.h): its own validation files, the
// characters as class names, the manifest's hash in the config and checked on loading, and an
// idx directory with val files read the same way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "data/data_test_util.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/glyphs/glyph_dataset.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class GlyphsDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new sparsenas::test::TempDir;
    glyphs::GlyphsRequest request;
    request.classes = "digits10";
    request.images_per_class = 1;
    *manifest_ = glyphs::generate_glyphs(request, dir_->path() / "digits");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path data_dir() { return dir_->path() / "digits"; }
  static int64_t images(const char* split) { return (*manifest_)["splits"][split]["images"].get<int64_t>(); }
  static DataConfig config() {
    DataConfig c;
    c.source = "glyphs";
    c.path = data_dir().string();
    resolve_data_config(c, /*val_size_given=*/false);
    return c;
  }

  static sparsenas::test::TempDir* dir_;
  static nlohmann::json* manifest_;
};
sparsenas::test::TempDir* GlyphsDataTest::dir_ = nullptr;
nlohmann::json* GlyphsDataTest::manifest_ = new nlohmann::json;

TEST_F(GlyphsDataTest, ResolvesToItsOwnValidationSplitAndHash) {
  const DataConfig c = config();
  EXPECT_EQ(c.val_size, 0);
  EXPECT_FALSE(c.augment);
  EXPECT_EQ(c.content_hash, (*manifest_)["hash"].get<std::string>());
  const Splits s = load_splits(c);
  EXPECT_EQ(s.train.size(), images("train"));
  EXPECT_EQ(s.val.size(), images("val"));
  EXPECT_EQ(s.test.size(), images("test"));
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(s.val.class_names, s.train.class_names);
  EXPECT_EQ(s.train.height(), 28);

  // The same files read as plain IDX: the val files are its validation split too.
  DataConfig idx;
  idx.source = "idx";
  idx.path = data_dir().string();
  resolve_data_config(idx, /*val_size_given=*/false);
  EXPECT_EQ(idx.val_size, 0);
  const Splits t = load_splits(idx);
  EXPECT_EQ(t.val.size(), images("val"));
  EXPECT_TRUE(t.val.labels.equal(s.val.labels));
  EXPECT_TRUE(t.val.images.equal(s.val.images));
  idx.val_size = 5;
  EXPECT_THAT(error_message([&] { load_splits(idx); }), HasSubstr("val_size must be 0 for"));
}

TEST_F(GlyphsDataTest, AnotherDataSetOrAModifiedFileIsAClearError) {
  DataConfig c = config();
  c.content_hash = "0123456789abcdef";
  const std::string message = error_message([&] { load_splits(c); });
  EXPECT_THAT(message, HasSubstr("data.content_hash"));
  EXPECT_THAT(message, HasSubstr("0123456789abcdef"));
  EXPECT_THAT(message, HasSubstr((*manifest_)["hash"].get<std::string>()));
  c.augment = true;
  c.content_hash = (*manifest_)["hash"].get<std::string>();
  EXPECT_THAT(error_message([&] { c.validate(); }), HasSubstr("augment must be false for source 'glyphs'"));

  DataConfig empty;
  empty.source = "glyphs";
  EXPECT_THAT(error_message([&] { resolve_data_config(empty, false); }), HasSubstr("--data-path DIR"));

  // Last: changes the shared files.
  const fs::path file = data_dir() / glyphs::images_file("test");
  {
    char byte = 0;
    std::ifstream((file), std::ios::binary).seekg(200).read(&byte, 1);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put(static_cast<char>(byte ^ 0x5A));
  }
  EXPECT_THAT(error_message([&] { load_splits(config()); }), HasSubstr("do not match the hash in its manifest.json"));
}

}  // namespace
}  // namespace sparsenas::data
