#include "sparsenas/space/builtin_spaces.h"

#include "sparsenas/core/error.h"

#include <utility>

namespace sparsenas::space {

namespace {

// An elastic stage with OFA's choices: depth {2, 3, 4}, kernel {3, 5, 7}, expand {3, 4, 6}.
StageSpec ofa_stage(int width, int stride, Activation act, bool se) {
  StageSpec s;
  s.width = width;
  s.stride = stride;
  s.act = act;
  s.se = se;
  s.depths = {2, 3, 4};
  s.kernels = {3, 5, 7};
  s.expands = {3, 4, 6};
  return s;
}

SpaceSpec ofa_mbv3_spec() {
  // paper Table 2; reference/ofa_compofa.md 1.1 (ofa_mbv3.py). Stem, first block and head are
  // SpaceSpec's defaults: 16-wide h_swish stem, 16-wide ReLU first block, 960/1280 h_swish head,
  // BN eps 1e-5.
  SpaceSpec s;
  s.name = "ofa-mbv3";
  s.stages = {ofa_stage(24, 2, Activation::kRelu, false),
              ofa_stage(40, 2, Activation::kRelu, true),
              ofa_stage(80, 2, Activation::kHSwish, false),
              ofa_stage(112, 1, Activation::kHSwish, true),
              ofa_stage(160, 2, Activation::kHSwish, true)};
  return s;
}

// OFA-MobileNetV3 for small inputs (issue 12's protocol pilot, BENCHMARKS.md): the same blocks and
// choices with stride 1 in the stem. At 28x28 OFA's stem and four stride-2 stages leave 1x1 maps
// in the last stage, where the largest network scored no better than the smallest; with a stride-1
// stem the maps are 28, 14, 7, 4, 4, 2.
SpaceSpec ofa_mbv3_s1_spec() {
  SpaceSpec s = ofa_mbv3_spec();
  s.name = "ofa-mbv3-s1";
  s.stem_stride = 1;
  return s;
}

SpaceSpec proxyless_spec() {
  // reference/ofa_compofa.md 1.2 (ofa_proxyless.py): ReLU6 everywhere, no SE, BN eps 1e-3,
  // last group a single elastic block; a 32-wide stem and a proxyless head (no final expand,
  // feature mix 1280 that does not shrink below width multiplier 1).
  SpaceSpec s;
  s.name = "proxyless";
  s.head = "proxyless";
  s.stem_width = 32;
  s.stem_act = s.first_block_act = s.head_act = Activation::kRelu6;
  const int widths[] = {24, 40, 80, 96, 192, 320};
  const int strides[] = {2, 2, 2, 1, 2, 1};
  for (int i = 0; i < 6; ++i) {
    s.stages.push_back(ofa_stage(widths[i], strides[i], Activation::kRelu6, false));
  }
  s.stages.back().depths = {1};
  s.final_expand_width = 0;
  s.feature_mix_scales_down = false;
  s.bn_eps = 1e-3;
  return s;
}

// reference/ofa_compofa.md 7.1: d=2<->e=3, 3<->4, 4<->6 per stage; fixed kernels [3,5,3,3,5];
// stored weights stay OFA's 7x7 / e=6 so the teacher loads unchanged.
SpaceSpec coupled(SpaceSpec s, const char* name) {
  s.name = name;
  const int kernels[] = {3, 5, 3, 3, 5};
  for (int i = 0; i < 5; ++i) {
    s.stages[i].kernels = {kernels[i]};
    s.stages[i].coupled_expands = {3, 4, 6};
    s.stages[i].stored_kernel = 7;
    s.stages[i].stored_expand = 6;
  }
  return s;
}

SpaceSpec compofa_spec() { return coupled(ofa_mbv3_spec(), "compofa"); }
SpaceSpec compofa_s1_spec() { return coupled(ofa_mbv3_s1_spec(), "compofa-s1"); }

struct Builtin {
  const char* name;
  SpaceSpec (*make)();
};

constexpr Builtin kBuiltins[] = {{"ofa-mbv3", ofa_mbv3_spec},
                                  {"proxyless", proxyless_spec},
                                  {"compofa", compofa_spec},
                                  {"ofa-mbv3-s1", ofa_mbv3_s1_spec},
                                  {"compofa-s1", compofa_s1_spec}};

// Each OFA-MobileNetV3 space and its CompOFA coupling.
constexpr std::pair<const char*, const char*> kCoupled[] = {{"ofa-mbv3", "compofa"},
                                                            {"ofa-mbv3-s1", "compofa-s1"}};

}  // namespace

std::vector<std::string> builtin_space_names() {
  std::vector<std::string> names;
  for (const Builtin& b : kBuiltins) names.push_back(b.name);
  return names;
}

bool is_builtin_space(const std::string& name) {
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return true;
  }
  return false;
}

std::string compofa_space_of(const std::string& space) {
  for (const auto& [ofa, compofa] : kCoupled) {
    if (space == ofa) return compofa;
  }
  return {};
}

std::string coupled_space_names() {
  std::string names;
  for (const auto& pair : kCoupled) names += std::string(names.empty() ? "\"" : " or \"") + pair.first + "\"";
  return names;
}

SpaceSpec builtin_spec(const std::string& name) {
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return b.make();
  }
  std::string names;
  for (const Builtin& b : kBuiltins) names += std::string(b.name) + ", ";
  SNAS_FAIL("space must be one of ", names.substr(0, names.size() - 2),
            " or a path to a space JSON file, got \"", name, "\"");
}

}  // namespace sparsenas::space
