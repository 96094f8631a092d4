#include "sparsenas/space/search_space.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <unordered_set>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::space {

namespace {

std::string join(const std::vector<int>& values) {
  std::ostringstream out;
  out << "{";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "}";
  return out.str();
}

bool contains(const std::vector<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

int max_of(const std::vector<int>& values) { return *std::max_element(values.begin(), values.end()); }
int min_of(const std::vector<int>& values) { return *std::min_element(values.begin(), values.end()); }

StageSpec stage(int width, int stride, Activation act, bool se) {
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
  // paper Table 2; reference/ofa_compofa.md 1.1 (ofa_mbv3.py).
  SpaceSpec s;
  s.name = "ofa-mbv3";
  s.head = "mbv3";
  s.stem_width = 16;
  s.stem_act = Activation::kHSwish;
  s.first_block_width = 16;
  s.first_block_act = Activation::kRelu;
  s.stages = {stage(24, 2, Activation::kRelu, false), stage(40, 2, Activation::kRelu, true),
              stage(80, 2, Activation::kHSwish, false), stage(112, 1, Activation::kHSwish, true),
              stage(160, 2, Activation::kHSwish, true)};
  s.final_expand_width = 960;
  s.feature_mix_width = 1280;
  s.head_act = Activation::kHSwish;
  s.bn_eps = 1e-5;
  return s;
}

SpaceSpec proxyless_spec() {
  // reference/ofa_compofa.md 1.2 (ofa_proxyless.py): ReLU6 everywhere, no SE, BN eps 1e-3,
  // last group a single elastic block.
  SpaceSpec s;
  s.name = "proxyless";
  s.head = "proxyless";
  s.stem_width = 32;
  s.stem_act = Activation::kRelu6;
  s.first_block_width = 16;
  s.first_block_act = Activation::kRelu6;
  const int widths[] = {24, 40, 80, 96, 192, 320};
  const int strides[] = {2, 2, 2, 1, 2, 1};
  for (int i = 0; i < 6; ++i) s.stages.push_back(stage(widths[i], strides[i], Activation::kRelu6, false));
  s.stages.back().depths = {1};
  s.final_expand_width = 0;
  s.feature_mix_width = 1280;
  s.feature_mix_scales_down = false;
  s.head_act = Activation::kRelu6;
  s.bn_eps = 1e-3;
  return s;
}

SpaceSpec compofa_spec() {
  // reference/ofa_compofa.md 7.1: d=2<->e=3, 3<->4, 4<->6 per stage; fixed kernels [3,5,3,3,5];
  // stored weights stay OFA's 7x7 / e=6 so the teacher loads unchanged.
  SpaceSpec s = ofa_mbv3_spec();
  s.name = "compofa";
  const int kernels[] = {3, 5, 3, 3, 5};
  for (int i = 0; i < 5; ++i) {
    s.stages[i].kernels = {kernels[i]};
    s.stages[i].coupled_expands = {3, 4, 6};
    s.stages[i].stored_kernel = 7;
    s.stages[i].stored_expand = 6;
  }
  return s;
}

// --- JSON --------------------------------------------------------------------------------------

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

int make_divisible(double value, int divisor) {
  int result = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (result < 0.9 * value) result += divisor;
  return result;
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

SpaceSpec builtin_spec(const std::string& name) {
  if (name == "ofa-mbv3") return ofa_mbv3_spec();
  if (name == "proxyless") return proxyless_spec();
  if (name == "compofa") return compofa_spec();
  SNAS_FAIL("space must be one of ofa-mbv3, proxyless, compofa or a path to a space JSON file, got \"",
            name, "\"");
}

std::vector<std::string> SearchSpace::builtin_names() { return {"ofa-mbv3", "proxyless", "compofa"}; }

SearchSpace SearchSpace::from_name(const std::string& name_or_path, const SpaceOptions& options) {
  SpaceSpec spec;
  const bool is_builtin = name_or_path == "ofa-mbv3" || name_or_path == "proxyless" || name_or_path == "compofa";
  const bool looks_like_file =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  if (!is_builtin && looks_like_file) {
    spec = space_spec_from_json(read_json_file(name_or_path));
    if (spec.name.empty()) spec.name = std::filesystem::path(name_or_path).stem().string();
  } else {
    spec = builtin_spec(name_or_path);
  }
  if (options.resolution) spec.resolution = *options.resolution;
  if (options.in_channels) spec.in_channels = *options.in_channels;
  if (options.num_classes) spec.num_classes = *options.num_classes;
  if (options.width_mult) spec.width_mult = *options.width_mult;
  return SearchSpace(std::move(spec));
}

SearchSpace::SearchSpace(SpaceSpec spec) : spec_(std::move(spec)) {
  spec_.validate();
  const double w = spec_.width_mult;
  const int div = spec_.divisor;
  stem_width_ = make_divisible(spec_.stem_width * w, div);
  first_block_width_ = make_divisible(spec_.first_block_width * w, div);
  final_expand_width_ = spec_.head == "mbv3" ? make_divisible(spec_.final_expand_width * w, div) : 0;
  feature_mix_width_ = (spec_.feature_mix_scales_down || w > 1.0)
                           ? make_divisible(spec_.feature_mix_width * w, div)
                           : spec_.feature_mix_width;
  int in = first_block_width_;
  for (int s = 0; s < num_stages(); ++s) {
    const StageSpec& st = spec_.stages[s];
    stage_offsets_.push_back(static_cast<int>(blocks_.size()));
    const int out = make_divisible(st.width * w, div);
    int stored_expand = st.stored_expand;
    if (stored_expand == 0) {
      stored_expand = st.coupled_expands.empty() ? max_of(st.expands) : max_of(st.coupled_expands);
      if (!st.expands.empty()) stored_expand = std::max(stored_expand, max_of(st.expands));
    }
    for (int i = 0; i < max_of(st.depths); ++i) {
      BlockLayout b;
      b.stage = s;
      b.index = i;
      b.in_channels = in;
      b.out_channels = out;
      b.stride = i == 0 ? st.stride : 1;
      b.act = st.act;
      b.se = st.se;
      b.stored_kernel = st.stored_kernel ? st.stored_kernel : max_of(st.kernels);
      b.max_mid = make_divisible(std::round(in * static_cast<double>(stored_expand)), div);
      b.residual = b.stride == 1 && in == out;
      blocks_.push_back(b);
      in = out;
    }
  }
  build_macs_tables();
}

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

int SearchSpace::max_depth(int stage) const { return max_of(spec_.stages[stage].depths); }

int SearchSpace::last_stage_width() const { return blocks_.back().out_channels; }

int SearchSpace::mid_channels(int slot, int expand) const {
  return make_divisible(std::round(blocks_[slot].in_channels * static_cast<double>(expand)), spec_.divisor);
}

int SearchSpace::se_channels(int mid) const { return make_divisible(mid / spec_.se_reduction, spec_.divisor); }

bool SearchSpace::coupled() const {
  return std::any_of(spec_.stages.begin(), spec_.stages.end(),
                     [](const StageSpec& s) { return !s.coupled_expands.empty(); });
}

bool SearchSpace::is_active(const Arch& arch, int slot) const {
  const BlockLayout& b = blocks_[slot];
  return b.index < arch.depths[b.stage];
}

void SearchSpace::validate(const Arch& arch) const {
  SNAS_CHECK(static_cast<int>(arch.depths.size()) == num_stages(), "arch.d must have ", num_stages(),
             " entries (one per elastic stage of space ", name(), "), got ", arch.depths.size());
  SNAS_CHECK(static_cast<int>(arch.kernel_sizes.size()) == num_slots(), "arch.ks must have ", num_slots(),
             " entries (one per block slot of space ", name(), "), got ", arch.kernel_sizes.size());
  SNAS_CHECK(static_cast<int>(arch.expand_ratios.size()) == num_slots(), "arch.e must have ", num_slots(),
             " entries (one per block slot of space ", name(), "), got ", arch.expand_ratios.size());
  for (int s = 0; s < num_stages(); ++s) {
    const StageSpec& st = spec_.stages[s];
    SNAS_CHECK(contains(st.depths, arch.depths[s]), "arch.d[", s, "] must be one of ", join(st.depths),
               " in space ", name(), ", got ", arch.depths[s]);
  }
  for (int slot = 0; slot < num_slots(); ++slot) {
    const StageSpec& st = spec_.stages[blocks_[slot].stage];
    const bool active = is_active(arch, slot);
    const int k = arch.kernel_sizes[slot];
    const int e = arch.expand_ratios[slot];
    if (st.coupled_expands.empty()) {
      SNAS_CHECK(contains(st.kernels, k), "arch.ks[", slot, "] must be one of ", join(st.kernels),
                 " in space ", name(), ", got ", k);
      SNAS_CHECK(contains(st.expands, e), "arch.e[", slot, "] must be one of ", join(st.expands),
                 " in space ", name(), ", got ", e);
      continue;
    }
    // Coupled (CompOFA): active blocks use the expand ratio coupled to the stage depth.
    const int depth_index = static_cast<int>(
        std::find(st.depths.begin(), st.depths.end(), arch.depths[blocks_[slot].stage]) - st.depths.begin());
    const int coupled = st.coupled_expands[depth_index];
    if (active) {
      SNAS_CHECK(contains(st.kernels, k), "arch.ks[", slot, "] must be ", join(st.kernels),
                 " (fixed kernel of stage ", blocks_[slot].stage, " in space ", name(), "), got ", k);
      SNAS_CHECK(e == coupled, "arch.e[", slot, "] must be ", coupled, " (coupled to depth ",
                 arch.depths[blocks_[slot].stage], " in space ", name(), "), got ", e);
    } else {
      std::vector<int> all = st.coupled_expands;
      all.insert(all.end(), st.expands.begin(), st.expands.end());
      SNAS_CHECK(contains(st.kernels, k) && contains(all, e), "arch slot ", slot,
                 " (inactive) must hold a kernel in ", join(st.kernels), " and an expand in ", join(all),
                 ", got ks=", k, " e=", e);
    }
  }
}

Arch SearchSpace::canonical(const Arch& arch) const {
  validate(arch);
  Arch out = arch;
  for (int slot = 0; slot < num_slots(); ++slot) {
    if (is_active(arch, slot)) continue;
    const StageSpec& st = spec_.stages[blocks_[slot].stage];
    out.kernel_sizes[slot] = min_of(st.kernels);
    out.expand_ratios[slot] = st.coupled_expands.empty() ? min_of(st.expands) : min_of(st.coupled_expands);
  }
  return out;
}

Arch SearchSpace::max_arch() const {
  Arch a;
  for (int s = 0; s < num_stages(); ++s) a.depths.push_back(max_of(spec_.stages[s].depths));
  for (int slot = 0; slot < num_slots(); ++slot) {
    const StageSpec& st = spec_.stages[blocks_[slot].stage];
    a.kernel_sizes.push_back(max_of(st.kernels));
    a.expand_ratios.push_back(st.coupled_expands.empty() ? max_of(st.expands)
                                                         : st.coupled_expands[std::max_element(st.depths.begin(), st.depths.end()) - st.depths.begin()]);
  }
  return canonical(a);
}

Arch SearchSpace::min_arch() const {
  Arch a;
  for (int s = 0; s < num_stages(); ++s) a.depths.push_back(min_of(spec_.stages[s].depths));
  for (int slot = 0; slot < num_slots(); ++slot) {
    const StageSpec& st = spec_.stages[blocks_[slot].stage];
    a.kernel_sizes.push_back(min_of(st.kernels));
    a.expand_ratios.push_back(st.coupled_expands.empty() ? min_of(st.expands)
                                                         : st.coupled_expands[std::min_element(st.depths.begin(), st.depths.end()) - st.depths.begin()]);
  }
  return canonical(a);
}

Arch SearchSpace::resolve(const std::string& text) const {
  if (text == "max") return max_arch();
  if (text == "min") return min_arch();
  return canonical(arch_from_string(text));
}

Arch SearchSpace::sample(Rng& rng) const {
  Arch a;
  a.kernel_sizes.resize(num_slots());
  a.expand_ratios.resize(num_slots());
  for (int s = 0; s < num_stages(); ++s) {
    const StageSpec& st = spec_.stages[s];
    const size_t di = uniform_index(rng, st.depths.size());
    a.depths.push_back(st.depths[di]);
    for (int i = 0; i < max_of(st.depths); ++i) {
      const int slot = stage_offsets_[s] + i;
      a.kernel_sizes[slot] = st.kernels[uniform_index(rng, st.kernels.size())];
      a.expand_ratios[slot] = st.coupled_expands.empty() ? st.expands[uniform_index(rng, st.expands.size())]
                                                         : st.coupled_expands[di];
    }
  }
  return canonical(a);
}

unsigned __int128 SearchSpace::size() const {
  unsigned __int128 total = 1;
  for (const StageSpec& st : spec_.stages) {
    const unsigned __int128 per_block =
        static_cast<unsigned __int128>(st.kernels.size()) * (st.coupled_expands.empty() ? st.expands.size() : 1);
    unsigned __int128 stage_total = 0;
    for (int d : st.depths) {
      unsigned __int128 p = 1;
      for (int i = 0; i < d; ++i) p *= per_block;
      stage_total += p;
    }
    total *= stage_total;
  }
  return total;
}

std::vector<Arch> SearchSpace::enumerate(int64_t limit) const {
  const unsigned __int128 n = size();
  SNAS_CHECK(n <= static_cast<unsigned __int128>(limit), "space ", name(), " has ", to_string_u128(n),
             " networks, more than the enumeration limit of ", limit);
  // Per stage, every (depth, kernels, expands) assignment of its active slots; then the product.
  std::vector<std::vector<Arch>> per_stage;  // each Arch holds only that stage's fields
  for (int s = 0; s < num_stages(); ++s) {
    const StageSpec& st = spec_.stages[s];
    std::vector<Arch> options;
    for (size_t di = 0; di < st.depths.size(); ++di) {
      const int d = st.depths[di];
      const std::vector<int> expands = st.coupled_expands.empty() ? st.expands : std::vector<int>{st.coupled_expands[di]};
      std::vector<size_t> counter(2 * d, 0);
      while (true) {
        Arch part;
        part.depths = {d};
        for (int i = 0; i < max_of(st.depths); ++i) {
          part.kernel_sizes.push_back(i < d ? st.kernels[counter[2 * i]] : min_of(st.kernels));
          part.expand_ratios.push_back(i < d ? expands[counter[2 * i + 1]]
                                             : (st.coupled_expands.empty() ? min_of(st.expands) : min_of(st.coupled_expands)));
        }
        options.push_back(part);
        size_t pos = 0;
        while (pos < counter.size()) {
          const size_t radix = pos % 2 == 0 ? st.kernels.size() : expands.size();
          if (++counter[pos] < radix) break;
          counter[pos++] = 0;
        }
        if (pos == counter.size()) break;
      }
    }
    per_stage.push_back(std::move(options));
  }
  std::vector<Arch> out;
  out.reserve(static_cast<size_t>(n));
  std::vector<size_t> index(num_stages(), 0);
  while (true) {
    Arch a;
    for (int s = 0; s < num_stages(); ++s) {
      const Arch& part = per_stage[s][index[s]];
      a.depths.push_back(part.depths[0]);
      a.kernel_sizes.insert(a.kernel_sizes.end(), part.kernel_sizes.begin(), part.kernel_sizes.end());
      a.expand_ratios.insert(a.expand_ratios.end(), part.expand_ratios.begin(), part.expand_ratios.end());
    }
    out.push_back(std::move(a));
    int s = 0;
    while (s < num_stages()) {
      if (++index[s] < per_stage[s].size()) break;
      index[s++] = 0;
    }
    if (s == num_stages()) break;
  }
  return out;
}

std::vector<Arch> SearchSpace::sample_distinct(int64_t count, Rng& rng) const {
  SNAS_CHECK(count >= 0, "number of architectures must be >= 0, got ", count);
  const unsigned __int128 n = size();
  SNAS_CHECK(static_cast<unsigned __int128>(count) <= n, "cannot draw ", count,
             " distinct architectures from space ", name(), ": it has only ", to_string_u128(n));
  // When the request is a large share of a small space, rejection sampling would stall:
  // enumerate and take a seeded random subset instead.
  if (n <= 4 * static_cast<unsigned __int128>(count) + 64) {
    std::vector<Arch> all = enumerate(static_cast<int64_t>(n));
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(count);
    return all;
  }
  std::unordered_set<Arch, ArchHash> seen;
  std::vector<Arch> out;
  while (static_cast<int64_t>(out.size()) < count) {
    Arch a = sample(rng);
    if (seen.insert(a).second) out.push_back(std::move(a));
  }
  return out;
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
