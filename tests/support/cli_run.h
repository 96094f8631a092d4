#pragma once
// Runs the `sparsenas` binary (SNAS_BINARY) with arguments: exit code, stdout and stderr.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "temp_dir.h"

namespace sparsenas::test {

struct CliRun {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// `sparsenas ARGS` through the shell (ARGS is not quoted).
inline CliRun run_cli(const std::string& args) {
  TempDir dir;
  const std::string err_path = (dir.path() / "stderr").string();
  const std::string command = std::string(SNAS_BINARY) + " " + args + " 2>" + err_path;
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  r.err.assign(std::istreambuf_iterator<char>(err), {});
  return r;
}

}  // namespace sparsenas::test
