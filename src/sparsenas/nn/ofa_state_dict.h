#pragma once
// The supernet's weights under Once-for-All's names: OFA's `OFAMobileNetV3` and
// `OFAProxylessNASNets` (mit-han-lab/once-for-all, ofa/imagenet_classification/elastic_nn) hold the
// same tensors as our Supernet over `ofa-mbv3` and `proxyless`, in the same layout (max-size
// weights sliced by prefix, kernel transform matrices applied as F.linear from the largest kernel
// down, BN statistics of the max width), so a state dict crosses in both directions by renaming
// alone. Checked against OFA's own forward (tests/nn/ofa_state_dict_test.cpp).
//
// Names: our block slot i is OFA's blocks.{i+1} (blocks.0 is OFA's first block, our first_dw /
// first_pw). OFA's current names are written (`.conv.`, `.bn.bn.`, `.linear.`); on reading, the
// names of OFA's published checkpoints (`.mobile_inverted_conv.`) and the alternatives that OFA's
// own load_state_dict maps (`.bn.` for `.bn.bn.`, `.conv.weight` for `.conv.conv.weight`,
// `.linear.linear.` for `.linear.`), and a DataParallel `module.` prefix, are accepted too.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/nn/state_dict_file.h"

namespace sparsenas::space {
class SearchSpace;
struct Arch;
}  // namespace sparsenas::space

namespace sparsenas::nn {

class SupernetImpl;

/// One tensor of the supernet: our name (named_parameters / named_buffers) and OFA's key.
struct OfaName {
  std::string ours, ofa;
};

/// Every parameter and buffer of `net` with its OFA key, in OFA's state_dict order.
std::vector<OfaName> ofa_names(const SupernetImpl& net);

/// How to build the OFA network that holds `space`'s supernet: {"class": "OFAMobileNetV3" or
/// "OFAProxylessNASNets", "width_mult", "ks_list", "expand_ratio_list", "depth_list", "n_classes",
/// "bn_param": [momentum, eps]}, and where our space differs from what that constructor builds
/// (OFA hard-codes 3 input channels and a stride-2 first convolution):
/// "first_conv": {"in_channels", "stride"} when either differs. Throws sparsenas::Error naming the
/// space when OFA's code has no network of its structure (e.g. a space JSON of other stages).
nlohmann::json ofa_network(const space::SearchSpace& space);

/// The space names whose supernets map onto OFA's networks: ofa-mbv3, ofa-mbv3-s1, compofa,
/// compofa-s1 (as OFAMobileNetV3) and proxyless (as OFAProxylessNASNets).
std::vector<std::string> ofa_space_names();

/// `net`'s weights as OFA's state dict. A supernet trained without kernel transform matrices
/// (CompOFA) gets identity matrices, which OFA's transform turns into the same centre crops.
StateDict to_ofa_state_dict(const SupernetImpl& net);

/// Copies an OFA state dict into `net` (built over the space the checkpoint was trained for).
/// Every key must be one of `net`'s tensors and every tensor must be given, with its shape;
/// otherwise throws sparsenas::Error naming the key, both shapes where they differ, and a guess
/// at the cause (another space or width multiplier, another class or channel count). `source`
/// names the checkpoint in errors.
void load_ofa_state_dict(SupernetImpl& net, const StateDict& state, const std::string& source);

/// `arch` as the keyword arguments of OFA's set_active_subnet: {"ks": [...], "e": [...], "d": [...]}.
nlohmann::json ofa_subnet_args(const space::SearchSpace& space, const space::Arch& arch);

}  // namespace sparsenas::nn
