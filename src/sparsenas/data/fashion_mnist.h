#pragma once
// Where Fashion-MNIST is installed, and its class names (the data itself is read by idx_reader.h).

#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::data {

/// The directory holding Fashion-MNIST's four IDX files (`train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each with or
/// without `.gz`). Looks in `$SNAS_FASHION_MNIST_DIR` when that is set (and then only there),
/// else in /usr/share/datasets/fashion-mnist (Debian package `dataset-fashion-mnist`).
/// Throws `sparsenas::Error` naming the directory, the missing file and how to install it.
std::filesystem::path find_fashion_mnist();

/// The ten Fashion-MNIST class names: "T-shirt/top", "Trouser", ..., "Ankle boot".
const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace sparsenas::data
