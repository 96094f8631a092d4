#include "sparsenas/data/stratified_split.h"

#include <algorithm>
#include <numeric>

#include "sparsenas/core/error.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/dataset.h"

namespace sparsenas::data {

namespace {

constexpr uint64_t kStratifiedStream = 0x57a7;

/// `count` shared over groups of `sizes` in proportion (largest remainder method).
std::vector<int64_t> apportion(int64_t count, const std::vector<int64_t>& sizes, int64_t total) {
  std::vector<int64_t> share(sizes.size()), remainder(sizes.size());
  int64_t given = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    share[c] = count * sizes[c] / total;
    remainder[c] = count * sizes[c] % total;
    given += share[c];
  }
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; given < count; ++i, ++given) ++share[order[i % order.size()]];
  return share;
}

}  // namespace

SplitIndices stratified_split(const std::vector<int64_t>& labels, const std::vector<std::string>& class_names,
                              int64_t val_count, int64_t test_count, uint64_t seed) {
  const auto total = static_cast<int64_t>(labels.size());
  SNAS_CHECK(val_count >= 0 && test_count >= 0 && val_count + test_count < total,
             "validation (", val_count, ") and test (", test_count, ") images together must be fewer than the ",
             total, " images of the folder");
  std::vector<std::vector<int64_t>> members(class_names.size());
  for (int64_t i = 0; i < total; ++i) {
    SNAS_CHECK(labels[i] >= 0 && labels[i] < static_cast<int64_t>(class_names.size()), "label ", labels[i],
               " out of range [0, ", class_names.size(), ")");
    members[labels[i]].push_back(i);
  }
  std::vector<int64_t> sizes;
  for (const auto& m : members) sizes.push_back(static_cast<int64_t>(m.size()));
  const std::vector<int64_t> tests = apportion(test_count, sizes, total);
  const std::vector<int64_t> vals = apportion(val_count, sizes, total);

  SplitIndices out;
  for (size_t c = 0; c < members.size(); ++c) {
    SNAS_CHECK(tests[c] + vals[c] < sizes[c], "class '", class_names[c], "' has ", sizes[c],
               " image(s): too few for its share of the split (", vals[c], " validation, ", tests[c],
               " test) and at least one training image; add images or lower val_size / test_size");
    const std::vector<int64_t> order = random_permutation(sizes[c], mix_seed(seed, kStratifiedStream, c));
    for (int64_t k = 0; k < sizes[c]; ++k) {
      const int64_t item = members[c][order[k]];
      (k < tests[c] ? out.test : k < tests[c] + vals[c] ? out.val : out.train).push_back(item);
    }
  }
  for (auto* part : {&out.train, &out.val, &out.test}) std::sort(part->begin(), part->end());
  return out;
}

}  // namespace sparsenas::data
