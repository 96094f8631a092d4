#pragma once
// Progress of a long loop on stderr, with rate and ETA, in one of two forms:
// - a bar redrawn in place (at most every 200 ms) when stderr is a terminal;
// - plain lines when it is not (a log file, CI, a batch system), as tqdm does for files: one line
//   each time the loop passes another kLineFraction of its total or kLineSeconds have gone by
//   since the last line, and one at the end.
// SNAS_PROGRESS=bar or =1 forces the bar, =lines the lines, =0 silences both.

#include <chrono>
#include <cstdint>
#include <string>

namespace sparsenas {

/// Plain-line mode: a line at every this fraction of the total ...
inline constexpr double kLineFraction = 0.1;
/// ... and at least every this many seconds.
inline constexpr double kLineSeconds = 30.0;

/// Writes `line` to stderr, first clearing a progress bar that may be on screen.
void write_stderr_line(const std::string& line);

/// How progress is shown (from SNAS_PROGRESS and whether stderr is a terminal).
enum class ProgressMode { kOff, kBar, kLines };
/// The mode for `env` (SNAS_PROGRESS, or null when unset) and whether stderr is a terminal.
/// Unknown values of SNAS_PROGRESS count as unset.
ProgressMode progress_mode(const char* env, bool stderr_is_terminal);

/// Plain-line mode: whether a line is due after `done` of `total` steps, when the last line was
/// written at `last_done` steps, `seconds_since_last` ago.
bool progress_line_due(int64_t done, int64_t total, int64_t last_done, double seconds_since_last);

/// The text of one progress line or bar tail: `label 37/100 (37%) 12.3 net/s ETA 0:05 extra`.
std::string progress_text(const std::string& label, int64_t done, int64_t total, double rate,
                          const std::string& unit, double eta_seconds, const std::string& extra);

/// Progress of one loop of `total` steps: `label [=====>    ] 37/100 12.3 it/s ETA 0:05 <extra>` on a
/// terminal, plain lines otherwise (see above).
class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  /// Advances by `n` and sets the free text shown after the ETA (e.g. "loss 0.41").
  void step(int64_t n = 1, const std::string& extra = "");
  /// Counts `n` steps done before this loop started (a resumed loop's finished part): shown in
  /// the count, left out of the rate and the ETA. Call before the first `step`.
  void skip(int64_t n);
  /// Erases the bar.
  void finish();
  double elapsed_s() const;

 private:
  void draw(bool force);
  void write_line();
  std::string label_, unit_, extra_;
  int64_t total_, done_ = 0, start_done_ = 0, last_line_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  ProgressMode mode_;
  bool finished_ = false;
};

/// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace sparsenas
