#pragma once
// Progress bar with rate and ETA on stderr (only when stderr is a terminal, or SNAS_PROGRESS=1).

#include <chrono>
#include <cstdint>
#include <string>

namespace sparsenas {

/// Writes `line` to stderr, first clearing a progress bar that may be on screen.
void write_stderr_line(const std::string& line);

/// A one-line progress bar: `label [=====>    ] 37/100 12.3 it/s ETA 0:05 <extra>`.
/// Redraws at most every 200 ms. Silent when stderr is not a terminal and SNAS_PROGRESS is unset.
class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  /// Advances by `n` and sets the free text shown after the ETA (e.g. "loss 0.41").
  void step(int64_t n = 1, const std::string& extra = "");
  /// Erases the bar.
  void finish();
  double elapsed_s() const;

 private:
  void draw(bool force);
  std::string label_, unit_, extra_;
  int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool enabled_, finished_ = false;
};

/// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace sparsenas
