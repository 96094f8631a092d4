#include "sparsenas/search/latency_table.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"

namespace sparsenas::search {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "sparsenas-latency-table";
constexpr int kVersion = 1;

// Input height/width of each slot, then of the head (as SearchSpace's MACs model: the stem
// strides, the fixed first block does not, each block by its stride).
std::vector<int> input_sizes(const space::SearchSpace& sp) {
  int size = space::SearchSpace::conv_out_size(sp.spec().resolution, sp.spec().stem_stride);
  std::vector<int> sizes;
  for (const space::BlockLayout& b : sp.blocks()) {
    sizes.push_back(size);
    size = space::SearchSpace::conv_out_size(size, b.stride);
  }
  sizes.push_back(size);
  return sizes;
}

std::string block_key(const space::SearchSpace& sp, int slot, int kernel, int expand, int size) {
  const space::BlockLayout& b = sp.blocks()[slot];
  std::ostringstream key;
  key << "block:in" << b.in_channels << ":out" << b.out_channels << ":s" << b.stride << ":k" << kernel << ":mid"
      << sp.mid_channels(slot, expand) << ":se" << (b.se ? 1 : 0) << ":" << space::to_string(b.act) << ":res"
      << (b.residual ? 1 : 0) << ":hw" << size;
  return key.str();
}

constexpr const char* kStem = "stem";
constexpr const char* kHead = "head";

}  // namespace

std::vector<BlockConfig> block_configs(const space::SearchSpace& sp) {
  const std::vector<int> sizes = input_sizes(sp);
  std::vector<BlockConfig> out;
  out.push_back({kStem, "stem", -1, 0, 0, sp.spec().resolution});
  std::set<std::string> seen;
  for (int slot = 0; slot < sp.num_slots(); ++slot) {
    const space::StageSpec& st = sp.spec().stages[sp.blocks()[slot].stage];
    std::vector<int> expands = st.expands;
    expands.insert(expands.end(), st.coupled_expands.begin(), st.coupled_expands.end());
    std::set<int> distinct_expands(expands.begin(), expands.end());
    for (int k : std::set<int>(st.kernels.begin(), st.kernels.end())) {
      for (int e : distinct_expands) {
        const std::string key = block_key(sp, slot, k, e, sizes[slot]);
        if (seen.insert(key).second) out.push_back({key, "block", slot, k, e, sizes[slot]});
      }
    }
  }
  out.push_back({kHead, "head", -1, 0, 0, sizes.back()});
  return out;
}

std::vector<std::string> network_keys(const space::SearchSpace& sp, const space::Arch& arch) {
  sp.validate(arch);
  const std::vector<int> sizes = input_sizes(sp);
  std::vector<std::string> keys = {kStem};
  for (int slot = 0; slot < sp.num_slots(); ++slot) {
    if (!sp.is_active(arch, slot)) continue;
    keys.push_back(block_key(sp, slot, arch.kernel_sizes[slot], arch.expand_ratios[slot], sizes[slot]));
  }
  keys.push_back(kHead);
  return keys;
}

std::string space_hash(const space::SearchSpace& sp) { return hash_string(space::to_json(sp.spec()).dump()); }

void LatencyTable::check_space(const space::SearchSpace& sp, const std::string& source) const {
  const space::SpaceSpec& s = sp.spec();
  auto mismatch = [&](const char* field, const auto& table_value, const auto& space_value) {
    SNAS_FAIL(source, ": the latency table was measured for ", field, " ", table_value, ", but the space has ", field,
              " ", space_value, " (build a table for this space and shape with sparsenas latency-table)");
  };
  if (space != sp.name()) mismatch("space", space, sp.name());
  if (resolution != s.resolution) mismatch("resolution", resolution, s.resolution);
  if (in_channels != s.in_channels) mismatch("in_channels", in_channels, s.in_channels);
  if (num_classes != s.num_classes) mismatch("num_classes", num_classes, s.num_classes);
  if (width_mult != s.width_mult) mismatch("width_mult", width_mult, s.width_mult);
  if (space_hash != search::space_hash(sp)) mismatch("space_hash", space_hash, search::space_hash(sp));
}

double LatencyTable::predict_ms(const space::SearchSpace& sp, const space::Arch& arch,
                                const std::string& source) const {
  double total = 0.0;
  for (const std::string& key : network_keys(sp, arch)) {
    const auto it = entries.find(key);
    SNAS_CHECK(it != entries.end(), source, ": the latency table has no entry '", key, "' (needed by ",
               arch.to_string(), "); it is incomplete: build it again with sparsenas latency-table");
    total += it->second;
  }
  return total;
}

LatencyPredictor::LatencyPredictor(const LatencyTable& table, const space::SearchSpace& sp, std::string source)
    : space_(std::make_shared<const space::SearchSpace>(sp)), source_(std::move(source)) {
  table.check_space(sp, source_);
  auto entry = [&](const std::string& key) {
    const auto it = table.entries.find(key);
    SNAS_CHECK(it != table.entries.end(), source_, ": the latency table has no entry '", key,
               "'; it is incomplete: build it again with sparsenas latency-table");
    return it->second;
  };
  stem_ms_ = entry(kStem);
  head_ms_ = entry(kHead);
  const std::vector<int> sizes = input_sizes(sp);
  for (int slot = 0; slot < sp.num_slots(); ++slot) {
    const space::StageSpec& st = sp.spec().stages[sp.blocks()[slot].stage];
    Slot s;
    s.kernels = st.kernels;
    s.expands = st.expands;
    s.expands.insert(s.expands.end(), st.coupled_expands.begin(), st.coupled_expands.end());
    for (int k : s.kernels) {
      for (int e : s.expands) s.ms.push_back(entry(block_key(sp, slot, k, e, sizes[slot])));
    }
    slots_.push_back(std::move(s));
  }
  fastest_ = extreme(false);
  slowest_ = extreme(true);
}

double LatencyPredictor::slot_ms(int slot, int kernel, int expand) const {
  const Slot& s = slots_[static_cast<size_t>(slot)];
  const auto k = std::find(s.kernels.begin(), s.kernels.end(), kernel);
  const auto e = std::find(s.expands.begin(), s.expands.end(), expand);
  SNAS_CHECK(k != s.kernels.end() && e != s.expands.end(), "LatencyPredictor: slot ", slot, " has no choice k",
             kernel, " e", expand);
  return s.ms[static_cast<size_t>(k - s.kernels.begin()) * s.expands.size() +
              static_cast<size_t>(e - s.expands.begin())];
}

int64_t LatencyPredictor::micros(const space::Arch& arch) const {
  const space::SearchSpace& sp = *space_;
  SNAS_CHECK(static_cast<int>(arch.kernel_sizes.size()) == sp.num_slots() &&
                 static_cast<int>(arch.expand_ratios.size()) == sp.num_slots() &&
                 static_cast<int>(arch.depths.size()) == sp.num_stages(),
             "LatencyPredictor: ", arch.to_string(), " is not a network of space ", sp.name());
  double total = stem_ms_;
  for (int slot = 0; slot < sp.num_slots(); ++slot) {
    if (!sp.is_active(arch, slot)) continue;
    total += slot_ms(slot, arch.kernel_sizes[slot], arch.expand_ratios[slot]);
  }
  total += head_ms_;
  return std::llround(total * 1000.0);
}

std::function<int64_t(const space::Arch&)> LatencyPredictor::efficiency() const {
  return [self = *this](const space::Arch& arch) { return self.micros(arch); };
}

space::Arch LatencyPredictor::extreme(bool slowest) const {
  const space::SearchSpace& sp = *space_;
  // The prediction is stem + head + a sum over stages; each stage's part depends only on its depth
  // and its active slots' choices, so each stage is optimised alone.
  space::Arch out = sp.min_arch();
  auto better = [slowest](double a, double b) { return slowest ? a > b : a < b; };
  for (int stage = 0; stage < sp.num_stages(); ++stage) {
    const space::StageSpec& st = sp.spec().stages[stage];
    const int offset = sp.stage_offset(stage);
    bool have = false;
    double best_ms = 0.0;
    space::Arch best = out;
    for (size_t di = 0; di < st.depths.size(); ++di) {
      const int depth = st.depths[di];
      space::Arch a = out;
      a.depths[stage] = depth;
      double ms = 0.0;
      for (int i = 0; i < depth; ++i) {
        const int slot = offset + i;
        const std::vector<int> expands =
            st.coupled_expands.empty() ? st.expands : std::vector<int>{st.coupled_expands[di]};
        bool have_choice = false;
        double choice_ms = 0.0;
        for (int k : st.kernels) {
          for (int e : expands) {
            const double v = slot_ms(slot, k, e);
            if (!have_choice || better(v, choice_ms)) {
              have_choice = true;
              choice_ms = v;
              a.kernel_sizes[slot] = k;
              a.expand_ratios[slot] = e;
            }
          }
        }
        ms += choice_ms;
      }
      if (!have || better(ms, best_ms)) {
        have = true;
        best_ms = ms;
        best = a;
      }
    }
    out = best;
  }
  return sp.canonical(out);
}

json to_json(const LatencyTable& t) {
  json entries = json::object();
  for (const auto& [key, ms] : t.entries) entries[key] = ms;
  return {{"format", kFormat},          {"version", kVersion},         {"space", t.space},
          {"space_hash", t.space_hash}, {"resolution", t.resolution},  {"in_channels", t.in_channels},
          {"num_classes", t.num_classes}, {"width_mult", t.width_mult}, {"runtime", t.runtime},
          {"threads", t.threads},       {"batch", t.batch},            {"warmup", t.warmup},
          {"repeats", t.repeats},       {"machine", t.machine},        {"created_at", t.created_at},
          {"entries", entries}};
}

LatencyTable latency_table_from_json(const json& j, const std::string& source) {
  SNAS_CHECK(j.is_object(), source, ": a latency table must be a JSON object, got ", j.type_name());
  static const std::set<std::string> kKeys = {"format",  "version", "space",   "space_hash", "resolution",
                                              "in_channels", "num_classes", "width_mult", "runtime", "threads",
                                              "batch",   "warmup",  "repeats", "machine",    "created_at",
                                              "entries"};
  for (const auto& [key, value] : j.items()) {
    (void)value;
    SNAS_CHECK(kKeys.count(key), source, ": unknown field '", key, "' in a latency table");
  }
  auto field = [&](const char* key) -> const json& {
    SNAS_CHECK(j.contains(key), source, ": the latency table lacks the field '", key, "'");
    return j.at(key);
  };
  auto text = [&](const char* key) {
    const json& v = field(key);
    SNAS_CHECK(v.is_string(), source, ": field '", key, "' must be a string, got ", v.dump());
    return v.get<std::string>();
  };
  auto integer = [&](const char* key, int64_t min) {
    const json& v = field(key);
    SNAS_CHECK(v.is_number_integer() && v.get<int64_t>() >= min, source, ": field '", key,
               "' must be an integer >= ", min, ", got ", v.dump());
    return v.get<int64_t>();
  };
  const std::string format = text("format");
  SNAS_CHECK(format == kFormat, source, ": field 'format' must be \"", kFormat, "\", got \"", format, "\"");
  const int64_t version = integer("version", 0);
  SNAS_CHECK(version == kVersion, source, ": field 'version' must be ", kVersion, ", got ", version);
  LatencyTable t;
  t.space = text("space");
  t.space_hash = text("space_hash");
  t.resolution = integer("resolution", 1);
  t.in_channels = integer("in_channels", 1);
  t.num_classes = integer("num_classes", 1);
  const json& wm = field("width_mult");
  SNAS_CHECK(wm.is_number() && wm.get<double>() > 0, source, ": field 'width_mult' must be a number > 0, got ",
             wm.dump());
  t.width_mult = wm.get<double>();
  t.runtime = text("runtime");
  SNAS_CHECK(t.runtime == "libtorch", source, ": field 'runtime' must be \"libtorch\", got \"", t.runtime, "\"");
  t.threads = integer("threads", 1);
  t.batch = integer("batch", 1);
  t.warmup = integer("warmup", 0);
  t.repeats = integer("repeats", 1);
  t.machine = text("machine");
  t.created_at = text("created_at");
  const json& entries = field("entries");
  SNAS_CHECK(entries.is_object() && !entries.empty(), source,
             ": field 'entries' must be a non-empty object of key: milliseconds, got ",
             entries.is_object() ? std::string("an empty object {}") : entries.type_name());
  for (const auto& [key, value] : entries.items()) {
    SNAS_CHECK(value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= 0, source,
               ": entries['", key, "'] must be a number of milliseconds >= 0, got ", value.dump());
    t.entries[key] = value.get<double>();
  }
  return t;
}

LatencyTable read_latency_table(const fs::path& path) {
  return latency_table_from_json(read_json_file(path), path.string());
}

void write_latency_table(const fs::path& path, const LatencyTable& table) { write_json_file(path, to_json(table)); }

}  // namespace sparsenas::search
