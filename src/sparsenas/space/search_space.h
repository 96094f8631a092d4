#pragma once
// Search spaces: the topology of an elastic MobileNet-style network (a SpaceSpec, space_spec.h),
// its derived block layout, membership, sampling and enumeration, and the analytic MACs/params
// cost model (defined in cost_model.cpp). Built-in: "ofa-mbv3" (paper Table 2), "proxyless"
// (OFA's ProxylessNAS space), "compofa" (the 243 coupled networks of CompOFA), see
// builtin_spaces.h. A user may also give a JSON file of the same form.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/space/builtin_spaces.h"
#include "sparsenas/space/space_spec.h"

namespace sparsenas::space {

/// Settings a user may change on a built-in space without writing JSON.
struct SpaceOptions {
  std::optional<int> resolution, in_channels, num_classes;
  std::optional<double> width_mult;
};

/// OFA's make_divisible(v, divisor, min=divisor).
int make_divisible(double value, int divisor = 8);

/// Shapes of one block slot, derived from the spec (actual widths).
struct BlockLayout {
  int stage = 0;          ///< elastic stage index
  int index = 0;          ///< position inside the stage (0 = first, strided block)
  int in_channels = 0;
  int out_channels = 0;
  int stride = 1;
  Activation act = Activation::kRelu;
  bool se = false;
  int stored_kernel = 7;
  int max_mid = 0;        ///< stored middle width (largest expand)
  bool residual = false;  ///< identity shortcut: stride 1 and in == out
};

/// A search space with its derived layout. Immutable after construction.
class SearchSpace {
 public:
  explicit SearchSpace(SpaceSpec spec);

  /// "ofa-mbv3", "proxyless", "compofa", or a path to a JSON file holding a SpaceSpec.
  static SearchSpace from_name(const std::string& name_or_path, const SpaceOptions& options = {});
  /// builtin_space_names(): "ofa-mbv3", "proxyless", "compofa", "ofa-mbv3-s1", "compofa-s1".
  static std::vector<std::string> builtin_names();

  const SpaceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  int num_stages() const { return static_cast<int>(spec_.stages.size()); }
  int num_slots() const { return static_cast<int>(blocks_.size()); }
  const std::vector<BlockLayout>& blocks() const { return blocks_; }
  /// First slot of each stage.
  int stage_offset(int stage) const { return stage_offsets_[stage]; }
  int max_depth(int stage) const;

  // Actual (multiplied) widths.
  int stem_width() const { return stem_width_; }
  int first_block_width() const { return first_block_width_; }
  int final_expand_width() const { return final_expand_width_; }
  int feature_mix_width() const { return feature_mix_width_; }
  /// Width of the last elastic stage (input of the head).
  int last_stage_width() const;

  /// Middle width of a block: make_divisible(round(in * e), 8), as OFA.
  int mid_channels(int slot, int expand) const;
  /// Hidden width of the SE module for a middle width: make_divisible(mid / reduction, 8).
  int se_channels(int mid) const;

  bool coupled() const;  ///< true for CompOFA-style spaces
  /// Whether slot `slot` runs in `arch` (its position is below the stage's depth).
  bool is_active(const Arch& arch, int slot) const;

  /// Throws sparsenas::Error when `arch` is not a member, naming the field, index, valid choices
  /// and the value. Inactive slots may hold any value of the stage's lists.
  void validate(const Arch& arch) const;
  /// Validated copy whose inactive slots hold the smallest kernel and expand choice of their
  /// stage: the one encoding of this network in this space.
  Arch canonical(const Arch& arch) const;

  Arch max_arch() const;
  Arch min_arch() const;
  /// Parses "max", "min" or a JSON architecture, and returns it canonical.
  Arch resolve(const std::string& text) const;

  /// One architecture drawn as OFA's sample_active_subnet does: every depth, kernel and expand
  /// choice independently uniform (CompOFA: depth uniform, expand coupled). Canonical.
  Arch sample(Rng& rng) const;
  /// `count` distinct canonical architectures; errors when the space has fewer.
  std::vector<Arch> sample_distinct(int64_t count, Rng& rng) const;

  /// Exact number of distinct networks.
  unsigned __int128 size() const;
  /// All networks, in a fixed order. Only for spaces of at most `limit` networks (else error).
  std::vector<Arch> enumerate(int64_t limit = 1000000) const;

  /// Multiply-accumulates of one forward pass of one image, counted as OFA's analytic counter
  /// (MBv3LatencyTable.count_flops_given_config): conv and linear layers only.
  int64_t macs(const Arch& arch) const;
  /// macs() without validate(), for search loops that build architectures from this space's own
  /// choice lists and test many candidates. Only the vector sizes are checked (so it never reads
  /// out of bounds); for a non-member the value is meaningless. Inactive slots are ignored, so the
  /// architecture need not be canonical.
  int64_t macs_unchecked(const Arch& arch) const;
  /// MACs of the block in `slot` when it is active with this kernel size and expand ratio. Every
  /// block's input size is fixed, so macs(arch) is a constant (stem, first block, head) plus this
  /// value for each active slot: searches use it to update MACs incrementally. Only `slot` is
  /// checked.
  int64_t block_macs(int slot, int kernel, int expand) const;
  /// Parameters of the extracted static network (weights, biases, BN affine; no buffers).
  int64_t params(const Arch& arch) const;

  /// Spatial size after a conv of this stride with padding k/2: (size - 1) / stride + 1.
  static int conv_out_size(int size, int stride) { return (size - 1) / stride + 1; }

 private:
  int depth_of(const Arch& arch, int stage) const { return arch.depths[stage]; }
  SpaceSpec spec_;
  std::vector<BlockLayout> blocks_;
  std::vector<int> stage_offsets_;
  int stem_width_ = 0, first_block_width_ = 0, final_expand_width_ = 0, feature_mix_width_ = 0;

  // Fast MACs (macs_unchecked). Every block's input size is fixed (only a stage's first block,
  // always active, has a stride), so MACs = the fixed layers + one table entry per active block.
  void build_macs_tables();
  int64_t compute_block_macs(int slot, int kernel, int expand) const;  // the analytic count
  int64_t fixed_macs_ = 0;           // stem, first block, head, classifier
  std::vector<int> slot_in_size_;    // spatial input size of each slot
  int table_kernels_ = 0, table_expands_ = 0;  // table extents: values 0..extent-1
  std::vector<int64_t> block_macs_;  // [slot][kernel][expand] by value; -1 for a non-choice
};

}  // namespace sparsenas::space
