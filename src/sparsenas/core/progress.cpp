#include "sparsenas/core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sparsenas {
namespace {
std::mutex g_mutex;
bool g_bar_on_screen = false;

bool progress_enabled() {
  if (const char* env = std::getenv("SNAS_PROGRESS")) return std::string(env) != "0";
  return isatty(STDERR_FILENO) != 0;
}
}  // namespace

void write_stderr_line(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_bar_on_screen) {
    std::fputs("\r\033[K", stderr);
    g_bar_on_screen = false;
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<int64_t>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return buffer;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      enabled_(progress_enabled()) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::step(int64_t n, const std::string& extra) {
  done_ += n;
  if (!extra.empty()) extra_ = extra;
  draw(done_ >= total_);
}

void Progress::draw(bool force) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = elapsed_s();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
  constexpr int kWidth = 24;
  const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / total_) : 0.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(kWidth, ' ');
  for (int i = 0; i < filled; ++i) bar[i] = '=';
  if (filled < kWidth) bar[filled] = '>';
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "\r\033[K%s [%s] %lld/%lld %.1f %s/s ETA %s %s",
                label_.c_str(), bar.c_str(), static_cast<long long>(done_),
                static_cast<long long>(total_), rate, unit_.c_str(), format_duration(eta).c_str(),
                extra_.c_str());
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fputs(buffer, stderr);
  std::fflush(stderr);
  g_bar_on_screen = true;
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_bar_on_screen) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    g_bar_on_screen = false;
  }
}

}  // namespace sparsenas
