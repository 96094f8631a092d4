#pragma once
// Errors: user input is wrong (SNAS_CHECK) versus our code is wrong (SNAS_INTERNAL_ASSERT). Both throw.

#include <sstream>
#include <stdexcept>
#include <string>

namespace sparsenas {

/// Every error raised by sparsenas. `what()` names the field, the expected and the actual value.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

[[noreturn]] void throw_error(const std::string& message);

}  // namespace detail
}  // namespace sparsenas

/// Throws sparsenas::Error with the concatenated message when `cond` is false.
#define SNAS_CHECK(cond, ...)                                                   \
  do {                                                                          \
    if (!(cond)) ::sparsenas::detail::throw_error(::sparsenas::detail::concat(__VA_ARGS__)); \
  } while (0)

/// A broken invariant inside sparsenas (a bug, not bad input). Always give a message.
#define SNAS_INTERNAL_ASSERT(cond, ...)                                                  \
  do {                                                                                   \
    if (!(cond))                                                                         \
      ::sparsenas::detail::throw_error(::sparsenas::detail::concat(                      \
          "internal error (please report): ", #cond, " at ", __FILE__, ":", __LINE__, ": ", \
          __VA_ARGS__));                                                                 \
  } while (0)

/// Throws sparsenas::Error unconditionally.
#define SNAS_FAIL(...) ::sparsenas::detail::throw_error(::sparsenas::detail::concat(__VA_ARGS__))
