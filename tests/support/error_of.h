#pragma once
// The message of the sparsenas::Error that `f` throws, or "(no error)", and a substring check for it.

#include <functional>
#include <string>

#include "sparsenas/core/error.h"

namespace sparsenas::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

/// Whether `text` holds `part` (for checking that a message names a field, a file, a value).
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace sparsenas::test
