// Unit tests for src/sparsenas/core
#include <gtest/gtest.h>

#include <filesystem>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "support/temp_dir.h"

namespace sparsenas {
namespace {

TEST(CoreTest, CheckThrowsWithMessage) {
  try {
    SNAS_CHECK(1 + 1 == 3, "field must be ", 3, ", got ", 2);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "field must be 3, got 2");
  }
}

TEST(CoreTest, MixSeedIsDeterministicAndSpreads) {
  EXPECT_EQ(mix_seed(1, 2, 3, 4), mix_seed(1, 2, 3, 4));
  EXPECT_NE(mix_seed(1, 2, 3, 4), mix_seed(1, 2, 3, 5));
  EXPECT_NE(mix_seed(0, 1), mix_seed(1, 0));
}

TEST(CoreTest, U128ToString) {
  unsigned __int128 v = 1;
  for (int i = 0; i < 30; ++i) v *= 10;
  EXPECT_EQ(to_string_u128(v), "1" + std::string(30, '0'));
  EXPECT_EQ(to_string_u128(0), "0");
}

TEST(CoreTest, AtomicWriteReplacesAndLeavesNoTemp) {
  test::TempDir dir;
  const auto path = dir.path() / "a" / "file.json";
  write_json_file(path, nlohmann::json{{"x", 1}});
  write_json_file(path, nlohmann::json{{"x", 2}});
  EXPECT_EQ(read_json_file(path)["x"], 2);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(CoreTest, AtomicWriteKeepsOldFileWhenWriterFails) {
  test::TempDir dir;
  const auto path = dir.path() / "file.txt";
  write_file_atomic(path, "old");
  EXPECT_THROW(write_atomic_with(path, [](const std::filesystem::path&) { SNAS_FAIL("boom"); }), Error);
  EXPECT_EQ(read_file(path), "old");
}

TEST(CoreTest, ReadErrorsNameThePath) {
  try {
    read_file("/nonexistent/x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

TEST(CoreTest, FormatDuration) {
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3725), "1:02:05");
}

}  // namespace
}  // namespace sparsenas
