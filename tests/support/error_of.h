#pragma once
// The message of the sparsenas::Error that `f` throws, or "(no error)".

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

}  // namespace sparsenas::test
