#pragma once
// Rendering plots by running the `gnuplot` program on a script (no plotting library is linked).

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sparsenas::report {

/// What `probe_gnuplot` found.
struct GnuplotProbe {
  bool available = false;  ///< the program ran and accepts a PNG terminal
  /// "pngcairo" when supported (antialiased), else "png" (libgd); empty when not available.
  std::string terminal;
  std::string message;  ///< why it is not available (empty when it is)
};

/// Checks that `program` (a name looked up in PATH, or a path) runs and which PNG terminal it
/// supports, by running `program -e "set terminal pngcairo"` (then `png`). Never throws.
GnuplotProbe probe_gnuplot(const std::string& program);

/// Result of one gnuplot run.
struct GnuplotRun {
  int exit_code = 0;   ///< the program's exit status; 127 when the shell could not run it
  std::string output;  ///< its stdout and stderr together
  bool ok() const { return exit_code == 0; }
};

/// Runs `program script` with `script`'s folder as the working directory (so the script's data
/// and output files may be given relative to it), capturing stdout and stderr. Never throws for a
/// failing gnuplot; throws sparsenas::Error only when the process cannot be started at all.
GnuplotRun run_gnuplot(const std::string& program, const std::filesystem::path& script);

/// `text` quoted for a POSIX shell (single quotes; inner ' written as '\'').
std::string shell_quote(const std::string& text);

/// `text` as a gnuplot single-quoted string literal (inner ' doubled).
std::string gnuplot_quote(const std::string& text);

/// One plot to render: a gnuplot script body and its data files.
struct PlotSpec {
  std::string name;  ///< file stem: <name>.gp, <name>.png
  std::string alt;   ///< alt text in markdown
  int width = 900, height = 600;
  std::string body;  ///< gnuplot commands after the terminal and output lines
  std::vector<std::pair<std::string, std::string>> data;  ///< file name (in plots/), content
};

/// What `render_plots` did.
struct RenderedPlots {
  /// Per plot name, the markdown to embed: an image link or a one-line note saying why not.
  std::map<std::string, std::string> notes;
  std::vector<std::filesystem::path> plots;  ///< the PNG files written, `<dir>/<name>.png`
  std::vector<std::string> warnings;         ///< gnuplot unavailable or failing, one line each
};

/// Writes each plot's script and data to `<dir>/plots/` and, when `enabled` and `gnuplot` runs,
/// renders `<dir>/<name>.png` (replaced atomically). A failing or missing gnuplot is a warning,
/// never an error.
RenderedPlots render_plots(const std::filesystem::path& dir, const std::vector<PlotSpec>& plots, bool enabled,
                           const std::string& gnuplot);

}  // namespace sparsenas::report
