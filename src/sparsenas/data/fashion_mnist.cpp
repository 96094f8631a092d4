#include "sparsenas/data/fashion_mnist.h"

#include <cstdlib>
#include <string>

#include "sparsenas/core/error.h"

namespace sparsenas::data {
namespace fs = std::filesystem;

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};
  return kNames;
}

fs::path find_fashion_mnist() {
  static const char* const kStems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  const char* env = std::getenv("SNAS_FASHION_MNIST_DIR");
  const bool from_env = env != nullptr && *env != '\0';
  const fs::path dir = from_env ? fs::path(env) : fs::path("/usr/share/datasets/fashion-mnist");
  for (const char* stem : kStems) {
    const bool found = fs::exists(dir / (std::string(stem) + ".gz")) || fs::exists(dir / stem);
    if (found) continue;
    if (from_env) {
      SNAS_FAIL("SNAS_FASHION_MNIST_DIR=", dir.string(), " does not hold Fashion-MNIST: missing ",
                stem, ".gz (or ", stem, ")");
    }
    SNAS_FAIL("Fashion-MNIST not found: missing ", (dir / stem).string(),
              ".gz. Install it with `apt-get install dataset-fashion-mnist`, or set "
              "SNAS_FASHION_MNIST_DIR to a directory holding the four IDX files");
  }
  return dir;
}

}  // namespace sparsenas::data
