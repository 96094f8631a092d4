// Unit tests for src/sparsenas/data/cifar_reader.h: the CIFAR-10/100 binary loader and its
// errors.
#include "sparsenas/data/cifar_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::Bytes;
using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

/// One CIFAR record: label byte(s), then 3072 pixels; channel c of record `id` is filled with
/// (id * 3 + c) so records identify themselves.
Bytes cifar_record(std::vector<uint8_t> label_bytes, int id) {
  Bytes out = std::move(label_bytes);
  for (int c = 0; c < 3; ++c) out.insert(out.end(), 1024, static_cast<uint8_t>(id * 3 + c));
  return out;
}

Bytes cifar_file(int first_id, int count, bool cifar100) {
  Bytes out;
  for (int id = first_id; id < first_id + count; ++id) {
    const Bytes rec =
        cifar100 ? cifar_record({static_cast<uint8_t>(id % 20), static_cast<uint8_t>(id % 100)}, id)
                 : cifar_record({static_cast<uint8_t>(id % 10)}, id);
    out.insert(out.end(), rec.begin(), rec.end());
  }
  return out;
}

void write_cifar10(const fs::path& dir) {
  for (int b = 1; b <= 5; ++b)
    test::write_bytes(dir / ("data_batch_" + std::to_string(b) + ".bin"),
                      cifar_file((b - 1) * 2, 2, false));
  test::write_bytes(dir / "test_batch.bin", cifar_file(50, 3, false));
}

TEST(CifarTest, LoadsCifar10TrainAndTest) {
  sparsenas::test::TempDir dir;
  write_cifar10(dir.path());
  const Dataset train = load_cifar(dir.path(), 10, /*train=*/true);
  ASSERT_EQ(train.size(), 10);
  EXPECT_EQ(train.images.sizes(), (std::vector<int64_t>{10, 3, 32, 32}));
  EXPECT_EQ(train.class_names[0], "airplane");
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(train.labels[i].item<int64_t>(), i % 10);
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_TRUE(train.images[i][c].eq(i * 3 + c).all().item<bool>()) << i << " " << c;
  }
  const Dataset test = load_cifar(dir.path(), 10, /*train=*/false);
  ASSERT_EQ(test.size(), 3);
  EXPECT_EQ(test.labels[0].item<int64_t>(), 0);  // id 50
  EXPECT_TRUE(test.images[2][1].eq(52 * 3 + 1).all().item<bool>());
}

TEST(CifarTest, ReadsNestedDirectoryAndNamesFile) {
  sparsenas::test::TempDir dir;
  const fs::path nested = dir.path() / "cifar-10-batches-bin";
  write_cifar10(nested);
  std::ofstream(nested / "batches.meta.txt") << "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
  const Dataset train = load_cifar(dir.path(), 10);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(train.class_names[9], "j");
}

TEST(CifarTest, LoadsSingleFile) {
  sparsenas::test::TempDir dir;
  write_cifar10(dir.path());
  EXPECT_EQ(load_cifar(dir.path() / "test_batch.bin", 10).size(), 3);
}

TEST(CifarTest, Cifar100UsesFineLabels) {
  sparsenas::test::TempDir dir;
  test::write_bytes(dir.path() / "train.bin", cifar_file(95, 4, /*cifar100=*/true));
  test::write_bytes(dir.path() / "test.bin", cifar_file(0, 2, true));
  const Dataset train = load_cifar(dir.path(), 100);
  ASSERT_EQ(train.size(), 4);
  EXPECT_EQ(train.num_classes(), 100);
  EXPECT_EQ(train.labels[0].item<int64_t>(), 95);  // fine label, not the coarse 15
  EXPECT_EQ(train.labels[3].item<int64_t>(), 98);
  EXPECT_TRUE(train.images[1][2].eq((96 * 3 + 2) % 256).all().item<bool>());
  EXPECT_EQ(load_cifar(dir.path(), 100, /*train=*/false).size(), 2);
}

TEST(CifarTest, SizeNotMultipleOfRecord) {
  sparsenas::test::TempDir dir;
  Bytes bytes = cifar_file(0, 2, false);
  bytes.resize(bytes.size() + 5);
  test::write_bytes(dir.path() / "x.bin", bytes);
  const std::string msg = error_message([&] { load_cifar(dir.path() / "x.bin", 10); });
  EXPECT_THAT(msg, HasSubstr("x.bin"));
  EXPECT_THAT(msg, HasSubstr("multiple of the record size 3073 bytes"));
  EXPECT_THAT(msg, HasSubstr("got 6151 bytes"));
}

TEST(CifarTest, LabelOutOfRange) {
  sparsenas::test::TempDir dir;
  test::write_bytes(dir.path() / "x.bin", cifar_record({12}, 0));
  EXPECT_THAT(error_message([&] { load_cifar(dir.path() / "x.bin", 10); }),
              HasSubstr("label out of range in record 0: expected a label in [0, 10), got 12"));
}

TEST(CifarTest, MissingBatchFile) {
  sparsenas::test::TempDir dir;
  write_cifar10(dir.path());
  fs::remove(dir.path() / "data_batch_3.bin");
  EXPECT_THAT(error_message([&] { load_cifar(dir.path(), 10); }),
              HasSubstr("has no data_batch_3.bin"));
  EXPECT_THAT(error_message([&] { load_cifar(dir.path() / "missing", 10); }),
              HasSubstr("not found"));
}

TEST(CifarTest, WrongNamesFile) {
  sparsenas::test::TempDir dir;
  write_cifar10(dir.path());
  std::ofstream(dir.path() / "batches.meta.txt") << "a\nb\n";
  EXPECT_THAT(error_message([&] { load_cifar(dir.path(), 10); }),
              HasSubstr("expected 10 non-empty lines (one per class), got 2"));
}

TEST(CifarTest, RejectsOtherClassCounts) {
  EXPECT_THAT(error_message([] { load_cifar("/tmp", 20); }),
              HasSubstr("num_classes must be 10 or 100, got 20"));
}

}  // namespace
}  // namespace sparsenas::data
