#pragma once
// The SpaceSpec format: a search space's topology and choice lists as plain data, its checks and
// its JSON form (the "space JSON file" a user may give instead of a built-in name).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsenas::space {

enum class Activation { kIdentity, kRelu, kRelu6, kHSwish };
std::string to_string(Activation act);
/// "relu", "relu6", "h_swish", "identity"; errors list the valid names.
Activation activation_from_string(const std::string& name);

/// One elastic stage: up to max(depths) inverted-residual blocks of the same output width.
struct StageSpec {
  int width = 0;                ///< base output width, before the width multiplier
  int stride = 1;               ///< stride of the first block of the stage
  Activation act = Activation::kRelu;
  bool se = false;              ///< squeeze-and-excitation after the depthwise activation
  std::vector<int> depths;      ///< depth choices; max(depths) block slots are stored
  std::vector<int> kernels;     ///< kernel choices per block (odd)
  std::vector<int> expands;     ///< expand-ratio choices per block
  /// CompOFA coupling: when non-empty, parallel to `depths`; a stage of depth depths[i] uses
  /// expand ratio coupled_expands[i] in every block, and `expands` is ignored for sampling.
  std::vector<int> coupled_expands;
  /// Size of the stored depthwise kernel; 0 means max(kernels). CompOFA keeps OFA's 7x7 so that
  /// teacher and supernet weights have the same shapes.
  int stored_kernel = 0;
  /// Largest stored expand ratio; 0 means max(expands, coupled_expands).
  int stored_expand = 0;
};

/// The whole topology. Widths are base widths; actual widths are make_divisible(w * width_mult, 8).
/// The defaults of the stem, first block and head are those of the built-in "ofa-mbv3" space.
struct SpaceSpec {
  std::string name;
  std::string head = "mbv3";  ///< "mbv3": final expand conv+BN before pooling, feature mix (no BN,
                              ///< no bias) after; "proxyless": feature mix conv+BN before pooling
  int in_channels = 3;
  int num_classes = 1000;
  int resolution = 224;
  double width_mult = 1.0;
  int stem_width = 16;
  int stem_kernel = 3;
  int stem_stride = 2;
  Activation stem_act = Activation::kHSwish;
  int first_block_width = 16;  ///< fixed block with expand ratio 1 after the stem
  int first_block_kernel = 3;
  Activation first_block_act = Activation::kRelu;
  std::vector<StageSpec> stages;
  int final_expand_width = 960;  ///< mbv3 head only
  int feature_mix_width = 1280;
  bool feature_mix_scales_down = true;  ///< proxyless keeps 1280 when width_mult <= 1 (as OFA)
  Activation head_act = Activation::kHSwish;
  double bn_eps = 1e-5;
  double bn_momentum = 0.1;
  double dropout = 0.1;  ///< before the classifier, during training
  int se_reduction = 4;
  int divisor = 8;

  /// Checks every field; errors name the field, the expected and the actual value.
  void validate() const;
};

nlohmann::json to_json(const SpaceSpec& spec);
/// Unknown keys are errors listing the valid ones.
SpaceSpec space_spec_from_json(const nlohmann::json& value);

}  // namespace sparsenas::space
