// Unit tests for src/sparsenas/data/idx_reader.h: the IDX loader and its errors.
#include "sparsenas/data/idx_reader.h"

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

class IdxTest : public ::testing::Test {
 protected:
  sparsenas::test::TempDir dir_;
  fs::path images_ = dir_.path() / "images.idx";
  fs::path labels_ = dir_.path() / "labels.idx";

  void expect_round_trip(bool gzip) {
    test::write_idx_pair(images_, labels_, /*n=*/5, /*h=*/3, /*w=*/4, /*num_classes=*/3, gzip);
    const Dataset d = load_idx(images_, labels_);
    ASSERT_EQ(d.size(), 5);
    EXPECT_EQ(d.channels(), 1);
    EXPECT_EQ(d.height(), 3);
    EXPECT_EQ(d.width(), 4);
    EXPECT_EQ(d.images.scalar_type(), torch::kByte);
    EXPECT_EQ(d.labels.scalar_type(), torch::kLong);
    EXPECT_TRUE(d.images.is_contiguous());
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2"}));
    for (int64_t i = 0; i < 5; ++i) {
      EXPECT_TRUE(d.images[i].eq(i).all().item<bool>()) << "image " << i;
      EXPECT_EQ(d.labels[i].item<int64_t>(), i % 3);
    }
  }
};

TEST_F(IdxTest, RoundTripPlain) { expect_round_trip(/*gzip=*/false); }

TEST_F(IdxTest, RoundTripGzip) { expect_round_trip(/*gzip=*/true); }

TEST_F(IdxTest, UsesGivenClassNames) {
  test::write_idx_pair(images_, labels_, 4, 2, 2, 2, false);
  const Dataset d = load_idx(images_, labels_, {"a", "b", "c"});
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.class_names[2], "c");
}

TEST_F(IdxTest, PixelOrderIsRowMajor) {
  test::write_bytes(images_, test::idx_images(1, 2, 3, [](uint32_t, uint32_t j) { return j; }));
  test::write_bytes(labels_, test::idx_labels({1}));
  const Dataset d = load_idx(images_, labels_, {"x", "y"});
  EXPECT_TRUE(torch::equal(d.images[0][0], torch::arange(6, torch::kByte).view({2, 3})));
}

TEST_F(IdxTest, MissingFileNamesIt) {
  test::write_idx_pair(images_, labels_, 4, 2, 2, 2, false);
  const std::string msg = error_message([&] { load_idx(dir_.path() / "nope.gz", labels_); });
  EXPECT_THAT(msg, HasSubstr("not found"));
  EXPECT_THAT(msg, HasSubstr("nope.gz"));
}

TEST_F(IdxTest, WrongMagicNamesExpectedAndActual) {
  test::write_idx_pair(images_, labels_, 4, 2, 2, 2, false);
  const std::string msg = error_message([&] { load_idx(labels_, images_); });
  EXPECT_THAT(msg, HasSubstr("labels.idx"));
  EXPECT_THAT(msg, HasSubstr("wrong magic number: expected 0x00000803"));
  EXPECT_THAT(msg, HasSubstr("got 0x00000801"));
  EXPECT_THAT(msg, HasSubstr("swapped"));
}

TEST_F(IdxTest, TruncatedPlainFile) {
  Bytes bytes = test::idx_images(5, 3, 4, [](uint32_t, uint32_t) { return 7; });
  bytes.resize(bytes.size() - 3);
  test::write_bytes(images_, bytes);
  test::write_bytes(labels_, test::idx_labels({0, 1, 0, 1, 0}));
  const std::string msg = error_message([&] { load_idx(images_, labels_); });
  EXPECT_THAT(msg, HasSubstr("images.idx"));
  EXPECT_THAT(msg, HasSubstr("is truncated: header says 5 images of 3x4"));
  EXPECT_THAT(msg, HasSubstr("expected 76 bytes, got 73"));
}

TEST_F(IdxTest, TruncatedGzipStream) {
  // A gzip file cut in the middle of its compressed stream (a broken download).
  // Noisy pixels, so the cut lands well inside the pixel data.
  test::write_gzip(images_, test::idx_images(200, 8, 8, [](uint32_t i, uint32_t j) {
                     return static_cast<uint8_t>((i * 2654435761u + j * 40503u) >> 13);
                   }));
  test::write_bytes(labels_, test::idx_labels(std::vector<uint8_t>(200, 1)));
  Bytes bytes(fs::file_size(images_));
  std::ifstream(images_, std::ios::binary)
      .read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(bytes.size() / 2);
  test::write_bytes(images_, bytes);
  const std::string msg = error_message([&] { load_idx(images_, labels_); });
  EXPECT_THAT(msg, HasSubstr("images.idx"));
  EXPECT_THAT(msg, HasSubstr("truncated"));
  EXPECT_THAT(msg, HasSubstr("expected 12816 bytes"));
}

TEST_F(IdxTest, TruncatedHeader) {
  test::write_bytes(images_, {0, 0, 8, 3, 0, 0});
  test::write_bytes(labels_, test::idx_labels({0, 1}));
  const std::string msg = error_message([&] { load_idx(images_, labels_); });
  EXPECT_THAT(msg, HasSubstr("truncated: expected at least 8 bytes to read the header field "
                             "'number of images', got 6"));
}

TEST_F(IdxTest, TrailingBytesAreAnError) {
  Bytes bytes = test::idx_images(2, 2, 2, [](uint32_t, uint32_t) { return 1; });
  bytes.push_back(0);
  test::write_bytes(images_, bytes);
  test::write_bytes(labels_, test::idx_labels({0, 1}));
  EXPECT_THAT(error_message([&] { load_idx(images_, labels_); }),
              HasSubstr("too long: header says 2 images of 2x2, so expected exactly 24 bytes"));
}

TEST_F(IdxTest, CountMismatch) {
  test::write_bytes(images_, test::idx_images(5, 2, 2, [](uint32_t, uint32_t) { return 1; }));
  test::write_bytes(labels_, test::idx_labels({0, 1, 0, 1}));
  const std::string msg = error_message([&] { load_idx(images_, labels_); });
  EXPECT_THAT(msg, HasSubstr("image/label count mismatch"));
  EXPECT_THAT(msg, HasSubstr("has 5 images"));
  EXPECT_THAT(msg, HasSubstr("has 4 labels"));
}

TEST_F(IdxTest, LabelOutOfRange) {
  test::write_bytes(images_, test::idx_images(3, 2, 2, [](uint32_t, uint32_t) { return 1; }));
  test::write_bytes(labels_, test::idx_labels({0, 7, 1}));
  const std::string msg = error_message([&] { load_idx(images_, labels_, {"a", "b", "c"}); });
  EXPECT_THAT(msg, HasSubstr("labels.idx"));
  EXPECT_THAT(msg, HasSubstr("label out of range at index 1: expected a label in [0, 3), got 7"));
}

TEST_F(IdxTest, OneClassIsAnError) {
  test::write_bytes(images_, test::idx_images(3, 2, 2, [](uint32_t, uint32_t) { return 1; }));
  test::write_bytes(labels_, test::idx_labels({0, 0, 0}));
  EXPECT_THAT(error_message([&] { load_idx(images_, labels_); }),
              HasSubstr("dataset has 1 class(es), expected at least 2"));
}

TEST_F(IdxTest, NoImagesIsAnError) {
  test::write_bytes(images_, test::idx_images(0, 2, 2, [](uint32_t, uint32_t) { return 1; }));
  test::write_bytes(labels_, test::idx_labels({}));
  const std::string msg = error_message([&] { load_idx(images_, labels_); });
  EXPECT_THAT(msg, HasSubstr("images.idx"));
  EXPECT_THAT(msg, HasSubstr("no images"));
}

TEST_F(IdxTest, FindIdxFilePrefersGzip) {
  test::write_bytes(dir_.path() / "a", {});
  EXPECT_EQ(find_idx_file(dir_.path(), "a"), dir_.path() / "a");
  test::write_bytes(dir_.path() / "a.gz", {});
  EXPECT_EQ(find_idx_file(dir_.path(), "a"), dir_.path() / "a.gz");
  EXPECT_THAT(error_message([&] { find_idx_file(dir_.path(), "b"); }),
              HasSubstr("IDX file not found: neither"));
}

}  // namespace
}  // namespace sparsenas::data
