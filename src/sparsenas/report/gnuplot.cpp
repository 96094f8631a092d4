#include "sparsenas/report/gnuplot.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "sparsenas/core/fs.h"

#include "sparsenas/core/error.h"

namespace sparsenas::report {

namespace fs = std::filesystem;

namespace {

// Runs a shell command line; returns its exit status and its output (stdout; the command line
// redirects stderr itself).
GnuplotRun run_shell(const std::string& command) {
  GnuplotRun run;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  SNAS_CHECK(pipe != nullptr, "cannot start a shell for '", command, "': ", std::strerror(errno));
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status == -1) {
    run.exit_code = -1;
  } else if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  } else {
    run.exit_code = -1;
  }
  return run;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') out += '\'';
    if (ch == '\n' || ch == '\r') ch = ' ';
    out += ch;
  }
  return out + "'";
}

GnuplotProbe probe_gnuplot(const std::string& program) {
  GnuplotProbe probe;
  if (program.empty()) {
    probe.message = "no gnuplot program given";
    return probe;
  }
  try {
    for (const char* terminal : {"pngcairo", "png"}) {
      const GnuplotRun run =
          run_shell(shell_quote(program) + " -e " +
                    shell_quote(std::string("set terminal ") + terminal) + " </dev/null 2>&1");
      if (run.exit_code == 127 || run.exit_code == 126) {
        probe.message = "gnuplot ('" + program + "') is not installed or cannot be run";
        return probe;
      }
      if (run.ok()) {
        probe.available = true;
        probe.terminal = terminal;
        return probe;
      }
    }
    probe.message =
        "gnuplot ('" + program + "') supports neither the pngcairo nor the png terminal";
  } catch (const Error& e) {
    probe.message = e.what();
  }
  return probe;
}

GnuplotRun run_gnuplot(const std::string& program, const std::filesystem::path& script) {
  const std::filesystem::path dir =
      script.has_parent_path() ? script.parent_path() : std::filesystem::path(".");
  return run_shell("cd " + shell_quote(dir.string()) + " && " + shell_quote(program) + " " +
                   shell_quote(script.filename().string()) + " </dev/null 2>&1");
}

namespace {

bool has_png_signature(const fs::path& path) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  unsigned char head[8] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  return in.gcount() == 8 && std::equal(head, head + 8, kSignature);
}

// The last few lines of gnuplot's output, on one line, for a warning.
std::string output_tail(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r^") != std::string::npos) lines.push_back(line);
  }
  const size_t first = lines.size() > 3 ? lines.size() - 3 : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) out += (i > first ? " / " : "") + lines[i];
  if (out.size() > 400) out = out.substr(0, 400) + "...";
  return out.empty() ? "(no output)" : out;
}

}  // namespace

RenderedPlots render_plots(const fs::path& run_dir, const std::vector<PlotSpec>& plots, bool enabled,
                           const std::string& gnuplot) {
  RenderedPlots result;
  auto& notes = result.notes;
  if (plots.empty()) return result;
  if (!enabled) {
    for (const PlotSpec& p : plots) notes[p.name] = "Plot not rendered (plots disabled).";
    return result;
  }
  const GnuplotProbe probe = probe_gnuplot(gnuplot);
  if (!probe.available) {
    result.warnings.push_back(probe.message + ": plots skipped");
    for (const PlotSpec& p : plots) notes[p.name] = "Plot not rendered (" + probe.message + ").";
    return result;
  }
  const fs::path dir = run_dir / "plots";
  fs::create_directories(dir);
  for (const PlotSpec& p : plots) {
    for (const auto& [file, content] : p.data) write_file_atomic(dir / file, content);
    std::ostringstream script;
    script << "# Written by the sparsenas report; `gnuplot " << p.name << ".gp` in this folder "
           << "renders " << p.name << ".png.\n"
           << "set terminal " << probe.terminal << " size " << p.width << "," << p.height
           << " noenhanced\n"
           << "set output " << gnuplot_quote(p.name + ".png") << "\n"
           << "set datafile missing '?'\n"
           << "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
           << p.body << (p.body.empty() || p.body.back() == '\n' ? "" : "\n") << "unset output\n";
    const fs::path script_path = dir / (p.name + ".gp");
    write_file_atomic(script_path, script.str());
    const fs::path rendered = dir / (p.name + ".png");
    std::error_code ignored;
    fs::remove(rendered, ignored);
    const GnuplotRun run = run_gnuplot(gnuplot, script_path);
    const std::string relative = "plots/" + p.name + ".gp";
    if (!run.ok() || !has_png_signature(rendered)) {
      const std::string why =
          !run.ok() ? "exit status " + std::to_string(run.exit_code) : "no PNG written";
      result.warnings.push_back("gnuplot failed on " + relative + " (" + why +
                                "): " + output_tail(run.output));
      notes[p.name] = "Plot not rendered (gnuplot failed on `" + relative + "`, see Warnings).";
      continue;
    }
    const fs::path target = run_dir / (p.name + ".png");
    fs::rename(rendered, target);  // same file system: atomic replace
    result.plots.push_back(target);
    notes[p.name] = "![" + p.alt + "](" + p.name + ".png)";
  }
  return result;
}


}  // namespace sparsenas::report
