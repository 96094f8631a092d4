#pragma once
// A small stream logger that writes to stderr. stdout is reserved for results.

#include <sstream>

namespace sparsenas {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

/// Messages above this level are dropped. Default kInfo; `--quiet` sets kWarn, `-v` kDebug.
void set_log_level(LogLevel level);
LogLevel log_level();

namespace detail {
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
namespace log_levels {
constexpr LogLevel ERROR = LogLevel::kError, WARN = LogLevel::kWarn, INFO = LogLevel::kInfo,
                   DEBUG = LogLevel::kDebug;
}
}  // namespace detail
}  // namespace sparsenas

/// SNAS_LOG(ERROR|WARN|INFO|DEBUG) << ...; one line on stderr. INFO lines carry no prefix.
#define SNAS_LOG(level)                                                                     \
  if (::sparsenas::detail::log_levels::level > ::sparsenas::log_level()) {                  \
  } else                                                                                    \
    ::sparsenas::detail::LogLine(::sparsenas::detail::log_levels::level)
