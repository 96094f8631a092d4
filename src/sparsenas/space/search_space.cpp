#include "sparsenas/space/search_space.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_set>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/space/choice_list.h"

namespace sparsenas::space {

using detail::contains;
using detail::join;
using detail::max_of;
using detail::min_of;

int make_divisible(double value, int divisor) {
  int result = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (result < 0.9 * value) result += divisor;
  return result;
}

std::vector<std::string> SearchSpace::builtin_names() { return builtin_space_names(); }

SearchSpace SearchSpace::from_name(const std::string& name_or_path, const SpaceOptions& options) {
  SpaceSpec spec;
  const bool is_builtin = is_builtin_space(name_or_path);
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

namespace {

// The network with every depth, kernel and expand choice at the same end of its list (the
// largest or the smallest); coupled stages take the expand ratio of that depth. Not canonical.
Arch extreme_arch(const SearchSpace& space, bool largest) {
  auto end_of = [largest](const std::vector<int>& v) {
    return static_cast<size_t>(
        (largest ? std::max_element(v.begin(), v.end()) : std::min_element(v.begin(), v.end())) -
        v.begin());
  };
  Arch a;
  for (const StageSpec& st : space.spec().stages) a.depths.push_back(st.depths[end_of(st.depths)]);
  for (const BlockLayout& b : space.blocks()) {
    const StageSpec& st = space.spec().stages[b.stage];
    a.kernel_sizes.push_back(st.kernels[end_of(st.kernels)]);
    a.expand_ratios.push_back(st.coupled_expands.empty() ? st.expands[end_of(st.expands)]
                                                         : st.coupled_expands[end_of(st.depths)]);
  }
  return a;
}

}  // namespace

Arch SearchSpace::max_arch() const { return canonical(extreme_arch(*this, /*largest=*/true)); }

Arch SearchSpace::min_arch() const { return canonical(extreme_arch(*this, /*largest=*/false)); }

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

}  // namespace sparsenas::space
