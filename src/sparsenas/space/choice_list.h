#pragma once
// Small helpers on a stage's choice lists (depths, kernels, expands: non-empty std::vector<int>),
// shared by the spec checks and the search-space code. Internal to space/.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace sparsenas::space::detail {

/// "{3, 5, 7}": how error messages show a choice list.
inline std::string join(const std::vector<int>& values) {
  std::ostringstream out;
  out << "{";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "}";
  return out.str();
}

inline bool contains(const std::vector<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

/// Largest and smallest choice; `values` must not be empty.
inline int max_of(const std::vector<int>& values) { return *std::max_element(values.begin(), values.end()); }
inline int min_of(const std::vector<int>& values) { return *std::min_element(values.begin(), values.end()); }

}  // namespace sparsenas::space::detail
