#include "sparsenas/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "sparsenas/core/progress.h"

namespace sparsenas {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

namespace detail {
LogLine::~LogLine() {
  static const char* const kNames[] = {"error", "warning", "info", "debug"};
  const std::string text = stream_.str();
  std::string line;
  if (level_ == LogLevel::kInfo) {
    line = text + "\n";
  } else {
    line = std::string(kNames[static_cast<int>(level_)]) + ": " + text + "\n";
  }
  write_stderr_line(line);
}
}  // namespace detail
}  // namespace sparsenas
