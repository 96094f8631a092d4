#pragma once
// An architecture of an elastic space: per stage a depth, per block slot a kernel and an expand ratio.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsenas::space {

/// One sub-network. The JSON form uses OFA's keys: {"ks": [..], "e": [..], "d": [..]}.
/// `kernel_sizes` and `expand_ratios` have one entry per block slot (all stages, max depth each);
/// `depths` one per elastic stage. Slots beyond a stage's depth are inactive; a canonical
/// architecture (SearchSpace::canonical) gives them fixed values so that one network has one form.
struct Arch {
  std::vector<int> kernel_sizes;   ///< "ks"
  std::vector<int> expand_ratios;  ///< "e"
  std::vector<int> depths;         ///< "d"

  bool operator==(const Arch& other) const;
  bool operator!=(const Arch& other) const { return !(*this == other); }
  bool operator<(const Arch& other) const;

  /// Compact single-line JSON, e.g. {"ks":[3,5],"e":[4,6],"d":[2]}.
  std::string to_string() const;
};

nlohmann::json to_json(const Arch& arch);
/// Parses {"ks","e","d"}; errors name the missing or unknown key or the non-integer entry.
Arch arch_from_json(const nlohmann::json& value);
/// Parses JSON text (errors say what was expected).
Arch arch_from_string(const std::string& text);

struct ArchHash {
  size_t operator()(const Arch& arch) const;
};

}  // namespace sparsenas::space
