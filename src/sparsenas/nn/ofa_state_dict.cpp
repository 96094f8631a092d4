#include "sparsenas/nn/ofa_state_dict.h"

#include <algorithm>
#include <map>
#include <set>

#include "sparsenas/core/error.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/space/space_spec.h"

namespace sparsenas::nn {

using nlohmann::json;

namespace {

constexpr const char* kBnKeys[] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};

// OFA's names of one BN: `ofa` + {weight, ...}; ours `ours` + ".bn." + {weight, ...}.
void add_bn(std::vector<OfaName>& out, const std::string& ours, const std::string& ofa) {
  for (const char* k : kBnKeys) out.push_back({ours + ".bn." + k, ofa + "." + k});
}

std::vector<int> sorted_union(std::set<int> values) { return {values.begin(), values.end()}; }

// The kernel sizes every OFA block of this space stores transforms between (OFA's ks_list).
std::vector<int> ks_list(const space::SpaceSpec& spec) {
  std::set<int> ks;
  for (const auto& st : spec.stages) {
    ks.insert(st.kernels.begin(), st.kernels.end());
    if (st.stored_kernel > 0) ks.insert(st.stored_kernel);
  }
  return sorted_union(ks);
}

// OFA's matrix names of one block, in its registration order: "5to3", "7to5".
std::vector<std::pair<int, int>> ofa_transforms(const space::SpaceSpec& spec) {
  const std::vector<int> ks = ks_list(spec);
  std::vector<std::pair<int, int>> out;
  for (size_t i = 0; i + 1 < ks.size(); ++i) out.emplace_back(ks[i + 1], ks[i]);
  return out;
}

std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

// OFA's key of a checkpoint key, as its own load_state_dict reads it: old block names, a
// DataParallel prefix, and the alternatives it maps (`known` holds the keys we write).
std::string canonical_key(std::string key, const std::map<std::string, size_t>& known) {
  if (key.rfind("module.", 0) == 0) key = key.substr(7);
  const std::string old = ".mobile_inverted_conv.";
  if (const size_t at = key.find(old); at != std::string::npos) key.replace(at, old.size(), ".conv.");
  if (known.count(key)) return key;
  const std::pair<const char*, const char*> alternatives[] = {{".bn.bn.", ".bn."},
                                                              {".conv.conv.weight", ".conv.weight"},
                                                              {".linear.linear.", ".linear."},
                                                              {".linear.", ".linear.linear."},
                                                              {".bn.", ".bn.bn."},
                                                              {".conv.weight", ".conv.conv.weight"}};
  for (const auto& [from, to] : alternatives) {
    const size_t at = key.find(from);
    if (at == std::string::npos) continue;
    std::string other = key;
    other.replace(at, std::string(from).size(), to);
    if (known.count(other)) return other;
  }
  return key;
}

}  // namespace

std::vector<std::string> ofa_space_names() {
  return {"ofa-mbv3", "ofa-mbv3-s1", "compofa", "compofa-s1", "proxyless"};
}

json ofa_network(const space::SearchSpace& space) {
  const space::SpaceSpec& spec = space.spec();
  const std::vector<std::string> names = ofa_space_names();
  SNAS_CHECK(std::find(names.begin(), names.end(), spec.name) != names.end(), "space ", spec.name,
             " has no Once-for-All network (OFA's code builds ofa-mbv3, ofa-mbv3-s1, compofa, compofa-s1 and ",
             "proxyless)");
  // The built-in space of that name with this space's shape: anything else differing is a space
  // file that borrowed the name.
  space::SpaceSpec builtin = space::builtin_spec(spec.name);
  builtin.in_channels = spec.in_channels;
  builtin.num_classes = spec.num_classes;
  builtin.resolution = spec.resolution;
  builtin.width_mult = spec.width_mult;
  const json expected = space::to_json(builtin), actual = space::to_json(spec);
  for (const auto& item : expected.items()) {
    SNAS_CHECK(actual.contains(item.key()) && actual.at(item.key()) == item.value(), "space ", spec.name,
               ": its ", item.key(), " is ", actual.value(item.key(), json()).dump(), ", not the built-in ",
               item.value().dump(), ", so OFA's code has no network of its structure");
  }
  std::set<int> expands, depths;
  for (size_t s = 0; s < spec.stages.size(); ++s) {
    const auto& st = spec.stages[s];
    expands.insert(st.expands.begin(), st.expands.end());
    expands.insert(st.coupled_expands.begin(), st.coupled_expands.end());
    if (st.stored_expand > 0) expands.insert(st.stored_expand);
    // OFA's proxyless net holds one block in its last stage whatever depth_list says.
    if (spec.head == "proxyless" && s + 1 == spec.stages.size()) continue;
    depths.insert(st.depths.begin(), st.depths.end());
  }
  json net = {{"class", spec.head == "mbv3" ? "OFAMobileNetV3" : "OFAProxylessNASNets"},
              {"width_mult", spec.width_mult},
              {"ks_list", ks_list(spec)},
              {"expand_ratio_list", sorted_union(expands)},
              {"depth_list", sorted_union(depths)},
              {"n_classes", spec.num_classes},
              {"bn_param", {spec.bn_momentum, spec.bn_eps}}};
  if (spec.in_channels != 3 || spec.stem_stride != 2) {
    net["first_conv"] = {{"in_channels", spec.in_channels}, {"stride", spec.stem_stride}};
  }
  return net;
}

std::vector<OfaName> ofa_names(const SupernetImpl& net) {
  const space::SearchSpace& space = net.space();
  const space::SpaceSpec& spec = space.spec();
  std::vector<OfaName> out;
  out.push_back({"stem_weight", "first_conv.conv.weight"});
  add_bn(out, "stem_bn", "first_conv.bn");
  out.push_back({"first_dw_weight", "blocks.0.conv.depth_conv.conv.weight"});
  add_bn(out, "first_dw_bn", "blocks.0.conv.depth_conv.bn");
  out.push_back({"first_pw_weight", "blocks.0.conv.point_linear.conv.weight"});
  add_bn(out, "first_pw_bn", "blocks.0.conv.point_linear.bn");
  const auto transforms = ofa_transforms(spec);
  for (int slot = 0; slot < space.num_slots(); ++slot) {
    const ElasticBlockImpl& block = *net.blocks[slot];
    const std::string ours = "blocks." + std::to_string(slot) + ".";
    const std::string ofa = "blocks." + std::to_string(slot + 1) + ".conv.";
    out.push_back({ours + "expand_weight", ofa + "inverted_bottleneck.conv.conv.weight"});
    add_bn(out, ours + "expand_bn", ofa + "inverted_bottleneck.bn.bn");
    std::set<std::string> ofa_pairs;
    for (const auto& [from, to] : transforms) {
      const std::string pair = std::to_string(from) + "to" + std::to_string(to);
      ofa_pairs.insert(pair);
      // A supernet without transforms (CompOFA) maps to identity matrices: ours "" (none stored).
      out.push_back({block.transforms.empty() ? "" : ours + "dw_transform_" + pair, ofa + "depth_conv.conv." + pair + "_matrix"});
    }
    int current = block.layout.stored_kernel;
    for (int size : block.transform_sizes) {
      const std::string pair = std::to_string(current) + "to" + std::to_string(size);
      SNAS_CHECK(ofa_pairs.count(pair), "block ", slot, " has a kernel transform ", pair,
                 ", which OFA's network of this space has not");
      current = size;
    }
    out.push_back({ours + "dw_weight", ofa + "depth_conv.conv.conv.weight"});
    add_bn(out, ours + "dw_bn", ofa + "depth_conv.bn.bn");
    if (block.layout.se) {
      out.push_back({ours + "se_reduce_weight", ofa + "depth_conv.se.fc.reduce.weight"});
      out.push_back({ours + "se_reduce_bias", ofa + "depth_conv.se.fc.reduce.bias"});
      out.push_back({ours + "se_expand_weight", ofa + "depth_conv.se.fc.expand.weight"});
      out.push_back({ours + "se_expand_bias", ofa + "depth_conv.se.fc.expand.bias"});
    }
    out.push_back({ours + "project_weight", ofa + "point_linear.conv.conv.weight"});
    add_bn(out, ours + "project_bn", ofa + "point_linear.bn.bn");
  }
  if (spec.head == "mbv3") {
    out.push_back({"final_expand_weight", "final_expand_layer.conv.weight"});
    add_bn(out, "final_expand_bn", "final_expand_layer.bn");
    out.push_back({"feature_mix_weight", "feature_mix_layer.conv.weight"});
  } else {
    out.push_back({"feature_mix_weight", "feature_mix_layer.conv.weight"});
    add_bn(out, "feature_mix_bn", "feature_mix_layer.bn");
  }
  out.push_back({"classifier.weight", "classifier.linear.weight"});
  out.push_back({"classifier.bias", "classifier.linear.bias"});
  return out;
}

namespace {

// Our tensors by name, parameters and buffers.
std::map<std::string, torch::Tensor> tensors_of(const SupernetImpl& net) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : net.named_parameters()) out[item.key()] = item.value();
  for (const auto& item : net.named_buffers()) out[item.key()] = item.value();
  return out;
}

// The size of an identity matrix named "...AtoB_matrix": B*B.
int64_t identity_size(const std::string& ofa_key) {
  const size_t to = ofa_key.rfind("to"), end = ofa_key.rfind("_matrix");
  const int64_t b = std::stoll(ofa_key.substr(to + 2, end - to - 2));
  return b * b;
}

}  // namespace

StateDict to_ofa_state_dict(const SupernetImpl& net) {
  const auto ours = tensors_of(net);
  StateDict out;
  size_t used = 0;
  for (const OfaName& n : ofa_names(net)) {
    if (n.ours.empty()) {
      out.emplace_back(n.ofa, torch::eye(identity_size(n.ofa)));
      continue;
    }
    const auto it = ours.find(n.ours);
    SNAS_INTERNAL_ASSERT(it != ours.end(), "the supernet has no tensor ", n.ours);
    out.emplace_back(n.ofa, it->second.detach().cpu().contiguous().clone());
    ++used;
  }
  SNAS_INTERNAL_ASSERT(used == ours.size(), "OFA names cover ", used, " of the supernet's ", ours.size(), " tensors");
  return out;
}

void load_ofa_state_dict(SupernetImpl& net, const StateDict& state, const std::string& source) {
  torch::NoGradGuard no_grad;
  const std::vector<OfaName> names = ofa_names(net);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < names.size(); ++i) index[names[i].ofa] = i;
  const auto ours = tensors_of(net);
  const space::SpaceSpec& spec = net.space().spec();
  // A likely cause of a mismatch, from the checkpoint's own shapes.
  std::map<std::string, torch::Tensor> given;
  for (const auto& [key, tensor] : state) given[canonical_key(key, index)] = tensor;
  auto hint = [&]() -> std::string {
    const bool proxyless_ckpt = !given.count("final_expand_layer.conv.weight") && given.count("feature_mix_layer.bn.weight");
    const bool mbv3_ckpt = given.count("final_expand_layer.conv.weight") > 0;
    if (spec.head == "mbv3" && proxyless_ckpt) return " (the checkpoint looks like OFA's proxyless supernet: give --space proxyless)";
    if (spec.head == "proxyless" && mbv3_ckpt) return " (the checkpoint looks like OFA's MobileNetV3 supernet: give --space ofa-mbv3)";
    const auto stem = given.find("first_conv.conv.weight");
    if (stem != given.end() && stem->second.dim() == 4) {
      const torch::Tensor& ours_stem = ours.at("stem_weight");
      if (stem->second.size(0) != ours_stem.size(0)) {
        return " (its first convolution has " + std::to_string(stem->second.size(0)) + " channels, this space at width " +
               std::to_string(spec.width_mult) + " has " + std::to_string(ours_stem.size(0)) +
               ": another --width-mult?)";
      }
      if (stem->second.size(1) != ours_stem.size(1)) {
        return " (its images have " + std::to_string(stem->second.size(1)) + " channels, this run's data " +
               std::to_string(ours_stem.size(1)) + ")";
      }
    }
    const auto cls = given.find("classifier.linear.weight");
    if (cls != given.end() && cls->second.dim() == 2 && cls->second.size(0) != spec.num_classes) {
      return " (it classifies " + std::to_string(cls->second.size(0)) + " classes, this run's data has " +
             std::to_string(spec.num_classes) + ")";
    }
    return "";
  };
  std::vector<bool> seen(names.size(), false);
  for (const auto& [key, tensor] : state) {
    const std::string k = canonical_key(key, index);
    const auto it = index.find(k);
    SNAS_CHECK(it != index.end(), source, ": key ", key, " is not a tensor of OFA's ", ofa_network(net.space())["class"].get<std::string>(),
               " for space ", spec.name, hint());
    SNAS_CHECK(!seen[it->second], source, ": key ", key, " is given twice (as ", names[it->second].ofa, ")");
    seen[it->second] = true;
    const OfaName& n = names[it->second];
    if (n.ours.empty()) {
      const int64_t size = identity_size(n.ofa);
      SNAS_CHECK(tensor.dim() == 2 && tensor.size(0) == size && tensor.size(1) == size &&
                     torch::allclose(tensor.to(torch::kFloat32), torch::eye(size), 0, 1e-6),
                 source, ": key ", key, " is a kernel transform matrix that is not the identity, which this ",
                 "supernet (trained without transforms, as CompOFA) cannot hold");
      continue;
    }
    torch::Tensor target = ours.at(n.ours);
    SNAS_CHECK(tensor.sizes() == target.sizes(), source, ": key ", key, " has shape ", shape_of(tensor),
               ", space ", spec.name, " at width ", spec.width_mult, " needs ", shape_of(target), hint());
    SNAS_CHECK(tensor.is_floating_point() == target.is_floating_point(), source, ": key ", key, " has dtype ",
               tensor.scalar_type(), ", expected ", target.scalar_type());
    target.copy_(tensor);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    // num_batches_tracked is bookkeeping only (our BN uses a fixed momentum): an older
    // checkpoint without it still loads.
    const bool optional = names[i].ofa.size() > 19 &&
                          names[i].ofa.compare(names[i].ofa.size() - 19, 19, "num_batches_tracked") == 0;
    SNAS_CHECK(seen[i] || optional, source, ": key ", names[i].ofa, " is missing", hint());
  }
}

json ofa_subnet_args(const space::SearchSpace& space, const space::Arch& arch) {
  const space::Arch a = space.canonical(arch);
  return {{"ks", a.kernel_sizes}, {"e", a.expand_ratios}, {"d", a.depths}};
}

}  // namespace sparsenas::nn
