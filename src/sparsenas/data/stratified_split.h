#pragma once
// A seeded, stratified train / validation / test split of a labelled set (for image folders that
// come as one `root/<class>/<image>` tree). No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

namespace sparsenas::data {

/// Positions (into the labels given) of the three parts, each sorted ascending.
struct SplitIndices {
  std::vector<int64_t> train, val, test;
};

/// Splits the items whose labels are `labels` (each in [0, class_names.size())) into `val_count`
/// validation items, `test_count` test items and the rest for training, class by class:
/// - each count is shared out over the classes in proportion to their sizes (largest remainder;
///   equal remainders go to the lower class index), so every part keeps the class balance;
/// - within a class, a permutation seeded by (`seed`, class index) picks the test items first,
///   then the validation items.
/// The result is a pure function of the arguments, the same on every platform.
/// Throws `sparsenas::Error` when a class would keep no training item, naming the class, its
/// size and the counts asked for.
SplitIndices stratified_split(const std::vector<int64_t>& labels,
                              const std::vector<std::string>& class_names, int64_t val_count,
                              int64_t test_count, uint64_t seed);

}  // namespace sparsenas::data
