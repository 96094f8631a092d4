#include "sparsenas/cli/cli_util.h"

#include <csignal>
#include <ctime>

#include "sparsenas/train/trainer.h"

namespace sparsenas::cli {

namespace {
volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void on_sigint(int) {
  if (++g_interrupts >= 2) {  // a second Ctrl-C kills at once
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  train::request_stop();
}
}  // namespace

std::string timestamp() {
  std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", std::localtime(&now));
  return buffer;
}

StopOnInterrupt::StopOnInterrupt() {
  train::clear_stop_request();
  g_interrupts = 0;
  previous_ = std::signal(SIGINT, on_sigint);
}

StopOnInterrupt::~StopOnInterrupt() { std::signal(SIGINT, previous_); }

}  // namespace sparsenas::cli
