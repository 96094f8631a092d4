#include "sparsenas/report/gnuplot.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sparsenas/core/error.h"

namespace sparsenas::report {
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

}  // namespace sparsenas::report
