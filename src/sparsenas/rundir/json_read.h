#pragma once
// Lenient field readers for the run directory's JSON records (manifest.json, history.json),
// internal to rundir: an absent or null key leaves the value as it is; a present one of the wrong
// type is an error naming `where` and the key. (Configs use the strict readers of
// core/config_fields.h instead.)

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sparsenas/core/error.h"

namespace sparsenas::rundir::detail {

/// A finite number.
inline void read_number(const nlohmann::json& object, const char* key, double& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_number(), where, ".", key, ": expected a number, got ", it->type_name(), " ", it->dump());
  out = it->get<double>();
  SNAS_CHECK(std::isfinite(out), where, ".", key, ": expected a finite number, got ", out);
}

/// A non-negative integer.
inline void read_count(const nlohmann::json& object, const char* key, int64_t& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_number_integer() && it->get<int64_t>() >= 0, where, ".", key,
             ": expected a non-negative integer, got ", it->dump());
  out = it->get<int64_t>();
}

/// A string.
inline void read_string(const nlohmann::json& object, const char* key, std::string& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_string(), where, ".", key, ": expected a string, got ", it->type_name(), " ", it->dump());
  out = it->get<std::string>();
}

}  // namespace sparsenas::rundir::detail
