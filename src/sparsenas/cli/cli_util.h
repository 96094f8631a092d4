#pragma once
// Small helpers shared by the subcommands.

#include <string>

namespace sparsenas::cli {

/// Local time as "YYYYmmdd-HHMMSS" (default run-directory names).
std::string timestamp();

/// While alive, the first Ctrl-C (SIGINT) asks every running training loop and pipeline stage to
/// checkpoint and stop (train::request_stop); a second one kills the process at once. The
/// previous handler is restored on destruction. Clears an earlier stop request on construction.
class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  void (*previous_)(int);
};

}  // namespace sparsenas::cli
