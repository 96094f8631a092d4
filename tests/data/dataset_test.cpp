// Unit tests for src/sparsenas/data/dataset.h: IDX, CIFAR and image-folder loaders and their
// errors.
#include "sparsenas/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "data/data_test_util.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::Bytes;
using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// ----------------------------------------------------------------------------------------------
// IDX

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

// ----------------------------------------------------------------------------------------------
// Fashion-MNIST

/// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) {
      ::unsetenv(name_);
    } else {
      ::setenv(name_, old_.c_str(), 1);
    }
  }

 private:
  const char* name_;
  std::string old_;
};

TEST(FashionMnistTest, EnvDirectoryWins) {
  sparsenas::test::TempDir dir;
  test::write_idx_dir(dir.path(), 4, 2, 2, 2, 2, /*gzip=*/false);
  ScopedEnv env("SNAS_FASHION_MNIST_DIR", dir.path().string());
  EXPECT_EQ(find_fashion_mnist(), dir.path());
}

TEST(FashionMnistTest, EnvDirectoryWithoutFilesIsAnError) {
  sparsenas::test::TempDir dir;
  ScopedEnv env("SNAS_FASHION_MNIST_DIR", dir.path().string());
  const std::string msg = error_message([] { find_fashion_mnist(); });
  EXPECT_THAT(msg, HasSubstr("SNAS_FASHION_MNIST_DIR="));
  EXPECT_THAT(msg, HasSubstr("missing train-images-idx3-ubyte.gz"));
}

TEST(FashionMnistTest, ClassNames) {
  const auto& names = fashion_mnist_class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names.front(), "T-shirt/top");
  EXPECT_EQ(names.back(), "Ankle boot");
}

// Loads the real dataset (about 0.6 s) when the Debian package is installed.
TEST(FashionMnistTest, LoadsInstalledDataset) {
  fs::path dir;
  try {
    dir = find_fashion_mnist();
  } catch (const sparsenas::Error& e) {
    GTEST_SKIP() << e.what();
  }
  const auto& names = fashion_mnist_class_names();
  const Dataset train = load_idx(find_idx_file(dir, "train-images-idx3-ubyte"),
                                 find_idx_file(dir, "train-labels-idx1-ubyte"), names);
  const Dataset test = load_idx(find_idx_file(dir, "t10k-images-idx3-ubyte"),
                                find_idx_file(dir, "t10k-labels-idx1-ubyte"), names);
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  for (const Dataset* d : {&train, &test}) {
    EXPECT_EQ(d->channels(), 1);
    EXPECT_EQ(d->height(), 28);
    EXPECT_EQ(d->width(), 28);
    EXPECT_EQ(d->num_classes(), 10);
    EXPECT_EQ(std::get<0>(at::_unique(d->labels)).numel(), 10);
  }
  // Fashion-MNIST is balanced: 6000 training images per class.
  EXPECT_TRUE(torch::equal(train.labels.bincount(), torch::full({10}, 6000, torch::kLong)));
}

// ----------------------------------------------------------------------------------------------
// CIFAR

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

// ----------------------------------------------------------------------------------------------
// Image folder

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

// ----------------------------------------------------------------------------------------------
// Dataset helpers

Dataset small_dataset(int64_t n) {
  Dataset d;
  d.images = torch::arange(n, torch::kByte).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
  d.labels = torch::arange(n, torch::kLong).remainder(2);
  d.class_names = {"even", "odd"};
  return d;
}

TEST(DatasetTest, SubsetCopiesInOrder) {
  const Dataset d = small_dataset(6);
  const Dataset s = d.subset(torch::tensor({4, 1, 4}, torch::kLong));
  ASSERT_EQ(s.size(), 3);
  EXPECT_EQ(s.images[0][0][0][0].item<uint8_t>(), 4);
  EXPECT_EQ(s.images[1][0][1][1].item<uint8_t>(), 1);
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({0, 1, 0}, torch::kLong)));
  EXPECT_EQ(s.class_names, d.class_names);
  EXPECT_EQ(d.subset(torch::empty({0}, torch::kLong)).size(), 0);
  EXPECT_THAT(error_message([&] {
                d.subset(torch::tensor({0, 6}, torch::kLong));
              }),
              HasSubstr("expected indices in [0, 6), got 6"));
}

TEST(DatasetTest, ChannelStatsAreExact) {
  Dataset d;
  // Channel 0: {0, 255, 0, 255} -> mean 0.5, std 0.5. Channel 1: all 51 -> mean 0.2, std 0.
  d.images = torch::tensor({0, 255, 51, 51, 0, 255, 51, 51}, torch::kByte).view({2, 2, 1, 2});
  d.labels = torch::tensor({0, 1}, torch::kLong);
  d.class_names = {"a", "b"};
  const ChannelStats stats = channel_stats(d);
  ASSERT_EQ(stats.mean.size(), 2u);
  EXPECT_FLOAT_EQ(stats.mean[0], 0.5f);
  EXPECT_FLOAT_EQ(stats.std[0], 0.5f);
  EXPECT_FLOAT_EQ(stats.mean[1], 0.2f);
  EXPECT_NEAR(stats.std[1], 0.0f, 1e-6);
}

TEST(DatasetTest, RandomPermutationIsStable) {
  const std::vector<int64_t> a = random_permutation(1000, 7);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(a, random_permutation(1000, 7));
  EXPECT_NE(a, random_permutation(1000, 8));
  // Pinned so that a change of algorithm (which would change every data split) is noticed.
  EXPECT_EQ(random_permutation(8, 0), (std::vector<int64_t>{4, 5, 2, 0, 7, 1, 3, 6}));
}

TEST(DatasetTest, ResizeImages) {
  const torch::Tensor images = torch::full({2, 1, 4, 4}, 9, torch::kByte);
  const torch::Tensor out = resize_images(images, 7);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 1, 7, 7}));
  EXPECT_EQ(out.scalar_type(), torch::kByte);
  EXPECT_TRUE(out.eq(9).all().item<bool>());
  EXPECT_TRUE(resize_images(images, 4).is_same(images));
}

}  // namespace
}  // namespace sparsenas::data
