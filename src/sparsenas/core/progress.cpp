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

}  // namespace

ProgressMode progress_mode(const char* env, bool stderr_is_terminal) {
  const std::string value = env ? env : "";
  if (value == "0") return ProgressMode::kOff;
  if (value == "1" || value == "bar") return ProgressMode::kBar;
  if (value == "lines") return ProgressMode::kLines;
  return stderr_is_terminal ? ProgressMode::kBar : ProgressMode::kLines;
}

bool progress_line_due(int64_t done, int64_t total, int64_t last_done, double seconds_since_last) {
  if (done <= last_done) return false;
  if (done >= total || seconds_since_last >= kLineSeconds) return true;
  if (total <= 0) return false;
  // The next multiple of kLineFraction * total after the last line.
  const auto tenth = [total](int64_t d) { return static_cast<int64_t>(d / (kLineFraction * total)); };
  return tenth(done) > tenth(last_done);
}

std::string progress_text(const std::string& label, int64_t done, int64_t total, double rate, const std::string& unit,
                          double eta_seconds, const std::string& extra) {
  const double percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%s %lld/%lld (%.0f%%) %.1f %s/s ETA %s%s%s", label.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), percent, rate, unit.c_str(),
                format_duration(eta_seconds).c_str(), extra.empty() ? "" : " ", extra.c_str());
  return buffer;
}

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
      mode_(progress_mode(std::getenv("SNAS_PROGRESS"), isatty(STDERR_FILENO) != 0)) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::step(int64_t n, const std::string& extra) {
  done_ += n;
  if (!extra.empty()) extra_ = extra;
  if (mode_ == ProgressMode::kLines) {
    write_line();
  } else {
    draw(done_ >= total_);
  }
}

void Progress::skip(int64_t n) {
  done_ += n;
  start_done_ = done_;
  last_line_done_ = done_;
}

void Progress::write_line() {
  if (finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (done_ == start_done_ || !progress_line_due(done_, total_, last_line_done_, since)) return;
  last_draw_ = now;
  last_line_done_ = done_;
  const double elapsed = elapsed_s();
  const double rate = elapsed > 0 ? (done_ - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
  write_stderr_line(progress_text(label_, done_, total_, rate, unit_, eta, extra_) + "\n");
}

void Progress::draw(bool force) {
  if (mode_ != ProgressMode::kBar || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = elapsed_s();
  const double rate = elapsed > 0 ? (done_ - start_done_) / elapsed : 0.0;
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
  if (mode_ != ProgressMode::kBar || finished_) {
    finished_ = true;
    return;
  }
  finished_ = true;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_bar_on_screen) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    g_bar_on_screen = false;
  }
}

}  // namespace sparsenas
