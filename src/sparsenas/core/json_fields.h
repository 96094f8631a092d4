#pragma once
// Strict JSON reading for config structs: unknown keys and wrong types are errors that name the
// struct, the key and the value.

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "sparsenas/core/error.h"

namespace sparsenas::json_fields {

/// Throws unless `json` is an object whose keys are all in `keys`; the message lists them.
inline void check_keys(const nlohmann::json& json, const char* what,
                       std::initializer_list<const char*> keys) {
  SNAS_CHECK(json.is_object(), what, " must be a JSON object, got ", json.dump());
  for (const auto& item : json.items()) {
    bool known = false;
    for (const char* key : keys) known = known || item.key() == key;
    if (!known) {
      std::string list;
      for (const char* key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      SNAS_FAIL(what, ": unknown key '", item.key(), "'; valid keys: ", list);
    }
  }
}

/// Reads `json[key]` into `value` when present. Integers must be JSON integers (nlohmann would
/// silently truncate 2.5 to 2), unsigned ones non-negative.
template <typename T>
void read_field(const nlohmann::json& json, const char* what, const char* key, T& value) {
  const auto it = json.find(key);
  if (it == json.end()) return;
  if constexpr (std::is_same_v<T, int64_t>) {
    SNAS_CHECK(it->is_number_integer(), what, ".", key, " must be an integer, got ", it->dump());
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    SNAS_CHECK(it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0),
               what, ".", key, " must be a non-negative integer, got ", it->dump());
  } else if constexpr (std::is_same_v<T, double>) {
    SNAS_CHECK(it->is_number(), what, ".", key, " must be a number, got ", it->dump());
  }
  try {
    value = it->get<T>();
  } catch (const nlohmann::json::exception& e) {
    SNAS_FAIL(what, ".", key, " has the wrong type (", it->type_name(), "): ", e.what());
  }
}

}  // namespace sparsenas::json_fields
