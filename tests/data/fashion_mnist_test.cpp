// Unit tests for src/sparsenas/data/fashion_mnist.h: locating the dataset, class names, and
// loading the installed copy.
#include "sparsenas/data/fashion_mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "data/data_test_util.h"
#include "sparsenas/data/idx_reader.h"
#include "support/temp_dir.h"

namespace sparsenas::data {
namespace {

using test::error_message;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

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

}  // namespace
}  // namespace sparsenas::data
