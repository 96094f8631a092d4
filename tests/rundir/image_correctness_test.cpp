// Unit tests for src/sparsenas/rundir/image_correctness.h: bit packing by hand, a round trip, and
// errors that name the file.
#include "sparsenas/rundir/image_correctness.h"

#include <gtest/gtest.h>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

TEST(ImageCorrectnessTest, PacksFourImagesPerHexDigitMostSignificantFirst) {
  EXPECT_EQ(pack_bits({1, 0, 1, 1, 0, 1, 0, 0}), "b4");
  EXPECT_EQ(pack_bits({1, 1}), "c");  // padded with zeros
  EXPECT_EQ(pack_bits({}), "");
  EXPECT_EQ(unpack_bits("b4", 8), (std::vector<uint8_t>{1, 0, 1, 1, 0, 1, 0, 0}));
  EXPECT_EQ(unpack_bits("c", 2), (std::vector<uint8_t>{1, 1}));
  EXPECT_THROW(unpack_bits("b4", 9), Error);  // needs 3 digits
  EXPECT_THROW(unpack_bits("g", 4), Error);
}

TEST(ImageCorrectnessTest, RoundTripAndErrorsNameTheFile) {
  ImageCorrectness c;
  c.splits = {{"test", {5, "abc"}}, {"val", {3, "def"}}};
  space::Arch a{{3, 5}, {4, 6}, {2}};
  c.networks.push_back({a, {{"test", {1, 0, 0, 1, 1}}, {"val", {0, 1, 1}}}});
  c.networks.push_back({a, {{"test", {0, 0, 0, 0, 1}}, {"val", {1, 1, 1}}}});
  test::TempDir temp;
  const auto path = temp.path() / "c.json";
  write_image_correctness(path, c);
  const ImageCorrectness back = read_image_correctness(path);
  EXPECT_EQ(back.splits, c.splits);
  ASSERT_EQ(back.networks.size(), 2u);
  EXPECT_EQ(back.networks[0].arch, a);
  EXPECT_EQ(back.bits(1, "test"), (std::vector<uint8_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(back.bits(0, "val"), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_THROW(back.bits(0, "train"), Error);

  ImageCorrectness bad = c;
  bad.networks[0].correct["test"].pop_back();
  EXPECT_THROW(write_image_correctness(temp.path() / "bad.json", bad), Error);
  EXPECT_FALSE(std::filesystem::exists(temp.path() / "bad.json"));

  write_file_atomic(path, R"({"version": 1, "splits": {"test": {"images": 5, "fingerprint": "x"}},
                              "networks": [{"arch": {"ks": [3], "e": [3], "d": [1]}, "test": "9"}]})");
  const std::string message = test::error_of([&] { read_image_correctness(path); });
  EXPECT_TRUE(test::contains(message, path.string())) << message;
  EXPECT_TRUE(test::contains(message, "expected 2 hex digits")) << message;
}

}  // namespace
}  // namespace sparsenas::rundir
