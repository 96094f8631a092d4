#include "sparsenas/space/arch.h"

#include <tuple>

#include "sparsenas/core/error.h"

namespace sparsenas::space {

bool Arch::operator==(const Arch& other) const {
  return kernel_sizes == other.kernel_sizes && expand_ratios == other.expand_ratios &&
         depths == other.depths;
}

bool Arch::operator<(const Arch& other) const {
  return std::tie(depths, kernel_sizes, expand_ratios) <
         std::tie(other.depths, other.kernel_sizes, other.expand_ratios);
}

std::string Arch::to_string() const {
  nlohmann::ordered_json out;  // keeps OFA's key order ks, e, d
  out["ks"] = kernel_sizes;
  out["e"] = expand_ratios;
  out["d"] = depths;
  return out.dump();
}

nlohmann::json to_json(const Arch& arch) {
  return nlohmann::json{{"ks", arch.kernel_sizes}, {"e", arch.expand_ratios}, {"d", arch.depths}};
}

namespace {
std::vector<int> int_list(const nlohmann::json& value, const char* key) {
  SNAS_CHECK(value.contains(key), "architecture JSON must have the key \"", key,
             "\" (expected {\"ks\": [...], \"e\": [...], \"d\": [...]}), got ", value.dump());
  const auto& list = value.at(key);
  SNAS_CHECK(list.is_array(), "architecture field \"", key, "\" must be a list of integers, got ",
             list.dump());
  std::vector<int> out;
  for (size_t i = 0; i < list.size(); ++i) {
    SNAS_CHECK(list[i].is_number_integer(), "architecture field \"", key, "\"[", i,
               "] must be an integer, got ", list[i].dump());
    out.push_back(list[i].get<int>());
  }
  return out;
}
}  // namespace

Arch arch_from_json(const nlohmann::json& value) {
  SNAS_CHECK(value.is_object(),
             "an architecture must be a JSON object {\"ks\": [...], \"e\": [...], \"d\": [...]}, got ",
             value.dump());
  for (const auto& item : value.items()) {
    SNAS_CHECK(item.key() == "ks" || item.key() == "e" || item.key() == "d",
               "unknown architecture key \"", item.key(), "\" (valid keys: ks, e, d)");
  }
  Arch arch;
  arch.kernel_sizes = int_list(value, "ks");
  arch.expand_ratios = int_list(value, "e");
  arch.depths = int_list(value, "d");
  return arch;
}

Arch arch_from_string(const std::string& text) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    SNAS_FAIL("architecture is not valid JSON (expected {\"ks\": [...], \"e\": [...], \"d\": [...]} ",
              "or max/min): ", e.what(), "; got '", text, "'");
  }
  return arch_from_json(value);
}

size_t ArchHash::operator()(const Arch& arch) const {
  size_t h = 1469598103934665603ULL;
  auto mix = [&h](int v) { h = (h ^ static_cast<size_t>(v + 17)) * 1099511628211ULL; };
  for (int v : arch.kernel_sizes) mix(v);
  mix(-1);
  for (int v : arch.expand_ratios) mix(v);
  mix(-2);
  for (int v : arch.depths) mix(v);
  return h;
}

}  // namespace sparsenas::space
