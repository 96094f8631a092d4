// The analytic cost model of SearchSpace (declared in search_space.h): MACs as OFA's analytic
// counter, with per-slot tables for search loops, and parameters of the extracted network.
#include <algorithm>
#include <vector>

#include "sparsenas/core/error.h"
#include "sparsenas/space/choice_list.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::space {

using detail::max_of;

void SearchSpace::build_macs_tables() {
  int size = conv_out_size(spec_.resolution, spec_.stem_stride);
  const int k0 = spec_.stem_kernel;
  fixed_macs_ = static_cast<int64_t>(spec_.in_channels) * stem_width_ * k0 * k0 * size * size;
  // First block: depthwise k x k then 1x1 projection (expand ratio 1, so no expansion conv).
  const int kf = spec_.first_block_kernel;
  fixed_macs_ += static_cast<int64_t>(stem_width_) * kf * kf * size * size;
  fixed_macs_ += static_cast<int64_t>(stem_width_) * first_block_width_ * size * size;
  for (const BlockLayout& b : blocks_) {
    slot_in_size_.push_back(size);
    size = conv_out_size(size, b.stride);
  }
  const int last = last_stage_width();
  if (spec_.head == "mbv3") {
    fixed_macs_ += static_cast<int64_t>(last) * final_expand_width_ * size * size;
    fixed_macs_ += static_cast<int64_t>(final_expand_width_) * feature_mix_width_;
  } else {
    fixed_macs_ += static_cast<int64_t>(last) * feature_mix_width_ * size * size;
  }
  fixed_macs_ += static_cast<int64_t>(feature_mix_width_) * spec_.num_classes;
  // Indexed by the choice values themselves (kernels <= 15, small expand ratios), so a lookup
  // needs no search; anything outside is computed by compute_block_macs.
  constexpr int kMaxTableExpand = 64;
  for (const StageSpec& st : spec_.stages) {
    table_kernels_ = std::max(table_kernels_, max_of(st.kernels) + 1);
    for (const std::vector<int>* list : {&st.expands, &st.coupled_expands}) {
      if (list->empty()) continue;
      table_expands_ = std::max(table_expands_, std::min(max_of(*list), kMaxTableExpand) + 1);
    }
  }
  block_macs_.assign(static_cast<size_t>(num_slots()) * table_kernels_ * table_expands_, -1);
  for (int slot = 0; slot < num_slots(); ++slot) {
    const StageSpec& st = spec_.stages[blocks_[slot].stage];
    std::vector<int> expands = st.expands;
    expands.insert(expands.end(), st.coupled_expands.begin(), st.coupled_expands.end());
    for (int k : st.kernels) {
      for (int e : expands) {
        if (e >= table_expands_) continue;
        block_macs_[(static_cast<size_t>(slot) * table_kernels_ + k) * table_expands_ + e] =
            compute_block_macs(slot, k, e);
      }
    }
  }
}

int64_t SearchSpace::block_macs(int slot, int k, int e) const {
  SNAS_CHECK(slot >= 0 && slot < num_slots(), "block slot must be in [0, ", num_slots(),
             ") in space ", name(), ", got ", slot);
  if (k >= 0 && k < table_kernels_ && e >= 0 && e < table_expands_) {
    const size_t index = (static_cast<size_t>(slot) * table_kernels_ + k) * table_expands_ + e;
    if (block_macs_[index] >= 0) return block_macs_[index];
  }
  return compute_block_macs(slot, k, e);
}

int64_t SearchSpace::compute_block_macs(int slot, int k, int e) const {
  const BlockLayout& b = blocks_[slot];
  const int64_t size = slot_in_size_[slot];
  const int64_t out_size = conv_out_size(static_cast<int>(size), b.stride);
  const int64_t mid = mid_channels(slot, e);
  int64_t total = 0;
  if (e != 1) total += b.in_channels * mid * size * size;
  total += mid * k * k * out_size * out_size;
  if (b.se) total += 2 * mid * se_channels(static_cast<int>(mid));
  total += mid * b.out_channels * out_size * out_size;
  return total;
}

int64_t SearchSpace::macs(const Arch& arch) const {
  validate(arch);
  return macs_unchecked(arch);
}

int64_t SearchSpace::macs_unchecked(const Arch& arch) const {
  SNAS_CHECK(static_cast<int>(arch.depths.size()) == num_stages() &&
                 static_cast<int>(arch.kernel_sizes.size()) == num_slots() &&
                 static_cast<int>(arch.expand_ratios.size()) == num_slots(),
             "arch must have ", num_stages(), " depths and ", num_slots(),
             " kernel sizes and expand ratios (space ", name(), "), got ", arch.depths.size(), ", ",
             arch.kernel_sizes.size(), " and ", arch.expand_ratios.size());
  int64_t total = fixed_macs_;
  for (int slot = 0; slot < num_slots(); ++slot) {
    const BlockLayout& b = blocks_[slot];
    if (b.index < arch.depths[b.stage]) {
      total += block_macs(slot, arch.kernel_sizes[slot], arch.expand_ratios[slot]);
    }
  }
  return total;
}

int64_t SearchSpace::params(const Arch& arch) const {
  validate(arch);
  auto conv = [](int64_t in, int64_t out, int64_t k, int64_t groups) { return out * (in / groups) * k * k; };
  auto bn = [](int64_t c) { return 2 * c; };
  int64_t total = 0;
  total += conv(spec_.in_channels, stem_width_, spec_.stem_kernel, 1) + bn(stem_width_);
  total += conv(stem_width_, stem_width_, spec_.first_block_kernel, stem_width_) + bn(stem_width_);
  total += conv(stem_width_, first_block_width_, 1, 1) + bn(first_block_width_);
  for (int slot = 0; slot < num_slots(); ++slot) {
    if (!is_active(arch, slot)) continue;
    const BlockLayout& b = blocks_[slot];
    const int e = arch.expand_ratios[slot];
    const int mid = mid_channels(slot, e);
    if (e != 1) total += conv(b.in_channels, mid, 1, 1) + bn(mid);
    total += conv(mid, mid, arch.kernel_sizes[slot], mid) + bn(mid);
    if (b.se) {
      const int se = se_channels(mid);
      total += conv(mid, se, 1, 1) + se + conv(se, mid, 1, 1) + mid;
    }
    total += conv(mid, b.out_channels, 1, 1) + bn(b.out_channels);
  }
  const int last = last_stage_width();
  if (spec_.head == "mbv3") {
    total += conv(last, final_expand_width_, 1, 1) + bn(final_expand_width_);
    total += conv(final_expand_width_, feature_mix_width_, 1, 1);  // no BN, no bias (OFA)
  } else {
    total += conv(last, feature_mix_width_, 1, 1) + bn(feature_mix_width_);
  }
  total += static_cast<int64_t>(feature_mix_width_) * spec_.num_classes + spec_.num_classes;
  return total;
}

}  // namespace sparsenas::space
