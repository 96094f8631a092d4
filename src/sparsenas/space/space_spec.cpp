#include "sparsenas/space/space_spec.h"

#include <set>

#include "sparsenas/core/error.h"
#include "sparsenas/space/choice_list.h"

namespace sparsenas::space {

using detail::join;
using detail::max_of;
using detail::min_of;

namespace {

void check_keys(const nlohmann::json& value, const std::set<std::string>& valid, const char* what) {
  SNAS_CHECK(value.is_object(), what, " must be a JSON object, got ", value.dump());
  for (const auto& item : value.items()) {
    if (!valid.count(item.key())) {
      std::string list;
      for (const auto& k : valid) list += (list.empty() ? "" : ", ") + k;
      SNAS_FAIL("unknown key \"", item.key(), "\" in ", what, " (valid keys: ", list, ")");
    }
  }
}

template <typename T>
void read(const nlohmann::json& value, const char* key, T& field, const std::string& where) {
  if (!value.contains(key)) return;
  try {
    field = value.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    SNAS_FAIL(where, ".", key, " has the wrong type: got ", value.at(key).dump());
  }
}

void read_act(const nlohmann::json& value, const char* key, Activation& field) {
  if (value.contains(key)) field = activation_from_string(value.at(key).get<std::string>());
}

}  // namespace

std::string to_string(Activation act) {
  switch (act) {
    case Activation::kIdentity: return "identity";
    case Activation::kRelu: return "relu";
    case Activation::kRelu6: return "relu6";
    case Activation::kHSwish: return "h_swish";
  }
  return "?";
}

Activation activation_from_string(const std::string& name) {
  if (name == "identity") return Activation::kIdentity;
  if (name == "relu") return Activation::kRelu;
  if (name == "relu6") return Activation::kRelu6;
  if (name == "h_swish") return Activation::kHSwish;
  SNAS_FAIL("activation must be one of relu, relu6, h_swish, identity, got \"", name, "\"");
}

void SpaceSpec::validate() const {
  SNAS_CHECK(head == "mbv3" || head == "proxyless", "space.head must be \"mbv3\" or \"proxyless\", got \"",
             head, "\"");
  SNAS_CHECK(in_channels >= 1 && in_channels <= 64, "space.in_channels must be in [1, 64], got ",
             in_channels);
  SNAS_CHECK(num_classes >= 2, "space.num_classes must be >= 2, got ", num_classes);
  SNAS_CHECK(resolution >= 8 && resolution <= 4096, "space.resolution must be in [8, 4096], got ",
             resolution);
  SNAS_CHECK(width_mult > 0.1 && width_mult <= 8.0, "space.width_mult must be in (0.1, 8], got ",
             width_mult);
  SNAS_CHECK(stem_width > 0 && first_block_width > 0, "space.stem_width and first_block_width must be > 0");
  SNAS_CHECK(stem_kernel % 2 == 1 && first_block_kernel % 2 == 1,
             "space.stem_kernel and first_block_kernel must be odd");
  SNAS_CHECK(stem_stride >= 1 && stem_stride <= 4, "space.stem_stride must be in [1, 4], got ", stem_stride);
  SNAS_CHECK(!stages.empty(), "space.stages must not be empty");
  SNAS_CHECK(head != "mbv3" || final_expand_width > 0, "space.final_expand_width must be > 0 for the mbv3 head");
  SNAS_CHECK(feature_mix_width > 0, "space.feature_mix_width must be > 0, got ", feature_mix_width);
  SNAS_CHECK(bn_eps > 0 && bn_momentum > 0 && bn_momentum <= 1, "space.bn_eps must be > 0 and bn_momentum in (0, 1]");
  SNAS_CHECK(dropout >= 0 && dropout < 1, "space.dropout must be in [0, 1), got ", dropout);
  SNAS_CHECK(se_reduction >= 1 && divisor >= 1, "space.se_reduction and space.divisor must be >= 1");
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageSpec& s = stages[i];
    const std::string where = "space.stages[" + std::to_string(i) + "]";
    SNAS_CHECK(s.width > 0, where, ".width must be > 0, got ", s.width);
    SNAS_CHECK(s.stride >= 1 && s.stride <= 4, where, ".stride must be in [1, 4], got ", s.stride);
    SNAS_CHECK(!s.depths.empty() && min_of(s.depths) >= 1 && max_of(s.depths) <= 16, where,
               ".depths must be a non-empty list of values in [1, 16], got ", join(s.depths));
    SNAS_CHECK(!s.kernels.empty(), where, ".kernels must not be empty");
    for (int k : s.kernels)
      SNAS_CHECK(k >= 1 && k % 2 == 1 && k <= 15, where, ".kernels must hold odd sizes in [1, 15], got ",
                 join(s.kernels));
    if (s.coupled_expands.empty()) {
      SNAS_CHECK(!s.expands.empty() && min_of(s.expands) >= 2, where,
                 ".expands must be a non-empty list of values >= 2 (blocks always have an expansion conv), got ", join(s.expands));
    } else {
      SNAS_CHECK(s.coupled_expands.size() == s.depths.size(), where,
                 ".coupled_expands must have one entry per depth choice (", s.depths.size(), "), got ",
                 s.coupled_expands.size());
      SNAS_CHECK(min_of(s.coupled_expands) >= 2, where, ".coupled_expands must be >= 2");
    }
    std::set<int> unique_depths(s.depths.begin(), s.depths.end());
    std::set<int> unique_kernels(s.kernels.begin(), s.kernels.end());
    std::set<int> unique_expands(s.expands.begin(), s.expands.end());
    SNAS_CHECK(unique_depths.size() == s.depths.size() && unique_kernels.size() == s.kernels.size() &&
                   unique_expands.size() == s.expands.size(),
               where, " has a repeated choice in depths, kernels or expands");
    SNAS_CHECK(s.stored_kernel == 0 || (s.stored_kernel % 2 == 1 && s.stored_kernel >= max_of(s.kernels)),
               where, ".stored_kernel must be 0 or an odd size >= max(kernels), got ", s.stored_kernel);
  }
}

nlohmann::json to_json(const SpaceSpec& spec) {
  nlohmann::json out;
  out["name"] = spec.name;
  out["head"] = spec.head;
  out["in_channels"] = spec.in_channels;
  out["num_classes"] = spec.num_classes;
  out["resolution"] = spec.resolution;
  out["width_mult"] = spec.width_mult;
  out["stem_width"] = spec.stem_width;
  out["stem_kernel"] = spec.stem_kernel;
  out["stem_stride"] = spec.stem_stride;
  out["stem_act"] = to_string(spec.stem_act);
  out["first_block_width"] = spec.first_block_width;
  out["first_block_kernel"] = spec.first_block_kernel;
  out["first_block_act"] = to_string(spec.first_block_act);
  out["final_expand_width"] = spec.final_expand_width;
  out["feature_mix_width"] = spec.feature_mix_width;
  out["feature_mix_scales_down"] = spec.feature_mix_scales_down;
  out["head_act"] = to_string(spec.head_act);
  out["bn_eps"] = spec.bn_eps;
  out["bn_momentum"] = spec.bn_momentum;
  out["dropout"] = spec.dropout;
  out["se_reduction"] = spec.se_reduction;
  out["divisor"] = spec.divisor;
  out["stages"] = nlohmann::json::array();
  for (const StageSpec& s : spec.stages) {
    nlohmann::json j;
    j["width"] = s.width;
    j["stride"] = s.stride;
    j["act"] = to_string(s.act);
    j["se"] = s.se;
    j["depths"] = s.depths;
    j["kernels"] = s.kernels;
    j["expands"] = s.expands;
    if (!s.coupled_expands.empty()) j["coupled_expands"] = s.coupled_expands;
    if (s.stored_kernel) j["stored_kernel"] = s.stored_kernel;
    if (s.stored_expand) j["stored_expand"] = s.stored_expand;
    out["stages"].push_back(j);
  }
  return out;
}

SpaceSpec space_spec_from_json(const nlohmann::json& value) {
  check_keys(value,
             {"name", "head", "in_channels", "num_classes", "resolution", "width_mult", "stem_width",
              "stem_kernel", "stem_stride", "stem_act", "first_block_width", "first_block_kernel",
              "first_block_act", "final_expand_width", "feature_mix_width", "feature_mix_scales_down",
              "head_act", "bn_eps", "bn_momentum", "dropout", "se_reduction", "divisor", "stages"},
             "space");
  SpaceSpec s;
  s.stages.clear();
  read(value, "name", s.name, "space");
  read(value, "head", s.head, "space");
  read(value, "in_channels", s.in_channels, "space");
  read(value, "num_classes", s.num_classes, "space");
  read(value, "resolution", s.resolution, "space");
  read(value, "width_mult", s.width_mult, "space");
  read(value, "stem_width", s.stem_width, "space");
  read(value, "stem_kernel", s.stem_kernel, "space");
  read(value, "stem_stride", s.stem_stride, "space");
  read_act(value, "stem_act", s.stem_act);
  read(value, "first_block_width", s.first_block_width, "space");
  read(value, "first_block_kernel", s.first_block_kernel, "space");
  read_act(value, "first_block_act", s.first_block_act);
  read(value, "final_expand_width", s.final_expand_width, "space");
  read(value, "feature_mix_width", s.feature_mix_width, "space");
  read(value, "feature_mix_scales_down", s.feature_mix_scales_down, "space");
  read_act(value, "head_act", s.head_act);
  read(value, "bn_eps", s.bn_eps, "space");
  read(value, "bn_momentum", s.bn_momentum, "space");
  read(value, "dropout", s.dropout, "space");
  read(value, "se_reduction", s.se_reduction, "space");
  read(value, "divisor", s.divisor, "space");
  SNAS_CHECK(value.contains("stages") && value.at("stages").is_array(),
             "space.stages must be a list of stage objects");
  const auto& stages = value.at("stages");
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string where = "space.stages[" + std::to_string(i) + "]";
    check_keys(stages[i],
               {"width", "stride", "act", "se", "depths", "kernels", "expands", "coupled_expands",
                "stored_kernel", "stored_expand"},
               where.c_str());
    StageSpec st;
    read(stages[i], "width", st.width, where);
    read(stages[i], "stride", st.stride, where);
    read_act(stages[i], "act", st.act);
    read(stages[i], "se", st.se, where);
    read(stages[i], "depths", st.depths, where);
    read(stages[i], "kernels", st.kernels, where);
    read(stages[i], "expands", st.expands, where);
    read(stages[i], "coupled_expands", st.coupled_expands, where);
    read(stages[i], "stored_kernel", st.stored_kernel, where);
    read(stages[i], "stored_expand", st.stored_expand, where);
    s.stages.push_back(st);
  }
  s.validate();
  return s;
}

}  // namespace sparsenas::space
