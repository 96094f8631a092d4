#include "sparsenas/predictor/features.h"

#include <algorithm>

#include "sparsenas/core/error.h"

namespace sparsenas::predictor {
namespace {

// Where each slot's one-hots start, and the choice lists they index. Computed once per call so that
// encode_batch (the evolution fitness path) does not rebuild it per row.
struct Layout {
  std::vector<std::vector<int>> kernels;  // per slot, ascending
  std::vector<std::vector<int>> expands;  // per slot, ascending
  std::vector<int> kernel_offset;         // per slot
  std::vector<int> expand_offset;         // per slot
  int dim = 0;
};

std::vector<int> sorted_unique(std::vector<int> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

Layout make_layout(const space::SearchSpace& space) {
  Layout layout;
  const int num_slots = space.num_slots();
  for (int slot = 0; slot < num_slots; ++slot) {
    const space::StageSpec& stage = space.spec().stages[space.blocks()[slot].stage];
    layout.kernels.push_back(sorted_unique(stage.kernels));
    std::vector<int> expands = stage.expands;
    expands.insert(expands.end(), stage.coupled_expands.begin(), stage.coupled_expands.end());
    layout.expands.push_back(sorted_unique(std::move(expands)));
  }
  // OFA order: every kernel one-hot first, then every expand one-hot.
  for (int slot = 0; slot < num_slots; ++slot) {
    layout.kernel_offset.push_back(layout.dim);
    layout.dim += static_cast<int>(layout.kernels[slot].size());
  }
  for (int slot = 0; slot < num_slots; ++slot) {
    layout.expand_offset.push_back(layout.dim);
    layout.dim += static_cast<int>(layout.expands[slot].size());
  }
  return layout;
}

int index_of(const std::vector<int>& choices, int value) {
  const auto it = std::find(choices.begin(), choices.end(), value);
  return it == choices.end() ? -1 : static_cast<int>(it - choices.begin());
}

void encode_into(const space::SearchSpace& space, const Layout& layout, const space::Arch& arch,
                 float* row) {
  space.validate(arch);
  std::fill(row, row + layout.dim, 0.0f);
  for (int slot = 0; slot < space.num_slots(); ++slot) {
    if (!space.is_active(arch, slot)) continue;  // inactive slots stay all-zero (OFA)
    const int k = index_of(layout.kernels[slot], arch.kernel_sizes[slot]);
    const int e = index_of(layout.expands[slot], arch.expand_ratios[slot]);
    SNAS_INTERNAL_ASSERT(k >= 0 && e >= 0, "validated slot ", slot, " has no one-hot position");
    row[layout.kernel_offset[slot] + k] = 1.0f;
    row[layout.expand_offset[slot] + e] = 1.0f;
  }
}

}  // namespace

int feature_dim(const space::SearchSpace& space) { return make_layout(space).dim; }

std::vector<float> encode(const space::SearchSpace& space, const space::Arch& arch) {
  const Layout layout = make_layout(space);
  std::vector<float> row(layout.dim);
  encode_into(space, layout, arch, row.data());
  return row;
}

std::vector<float> encode_batch(const space::SearchSpace& space,
                                const std::vector<space::Arch>& archs) {
  const Layout layout = make_layout(space);
  std::vector<float> matrix(archs.size() * static_cast<size_t>(layout.dim));
  for (size_t i = 0; i < archs.size(); ++i) {
    try {
      encode_into(space, layout, archs[i], matrix.data() + i * layout.dim);
    } catch (const Error& e) {
      SNAS_FAIL("architecture ", i, " of the batch: ", e.what());
    }
  }
  return matrix;
}

std::string feature_name(const space::SearchSpace& space, int index) {
  const Layout layout = make_layout(space);
  SNAS_CHECK(index >= 0 && index < layout.dim, "feature index must be in [0, ", layout.dim,
             ") for space ", space.name(), ", got ", index);
  for (int slot = space.num_slots() - 1; slot >= 0; --slot) {
    if (index >= layout.expand_offset[slot]) {
      return "e[" + std::to_string(slot) +
             "]=" + std::to_string(layout.expands[slot][index - layout.expand_offset[slot]]);
    }
  }
  for (int slot = space.num_slots() - 1; slot >= 0; --slot) {
    if (index >= layout.kernel_offset[slot]) {
      return "ks[" + std::to_string(slot) +
             "]=" + std::to_string(layout.kernels[slot][index - layout.kernel_offset[slot]]);
    }
  }
  SNAS_INTERNAL_ASSERT(false, "feature ", index, " maps to no slot");
  return {};
}

}  // namespace sparsenas::predictor
