#pragma once
// Starting the real `sparsenas` program (SNAS_BINARY) as the ranks of a data-parallel run on
// localhost, with the environment a launcher such as torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), or as one process; waiting for them with a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace sparsenas::test {

using Env = std::map<std::string, std::string>;

/// A TCP port that was free a moment ago on 127.0.0.1.
inline int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);
  return ntohs(addr.sin_port);
}

/// Starts `sparsenas <args>` with `env` added to this environment (the launcher's variables
/// removed first); stdout and stderr go to `log`.
inline pid_t spawn(const std::string& args, const Env& env, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT",
                             "TORCHELASTIC_USE_AGENT_STORE"}) {
      unsetenv(name);
    }
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    const std::string command = "exec " + std::string(SNAS_BINARY) + " " + args + " >" + log.string() + " 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

/// Exit code of `pid` (-signal when killed), or 999 when it is still running after `seconds`
/// (then it is killed).
inline int wait_exit(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 999;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// The environment of rank `rank` of `size` meeting at 127.0.0.1:`port`.
inline Env rank_env(int rank, int size, int port) {
  return {{"RANK", std::to_string(rank)},
          {"WORLD_SIZE", std::to_string(size)},
          {"LOCAL_RANK", std::to_string(rank)},
          {"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", std::to_string(port)}};
}

/// Starts `args` on `ranks` local ranks (logs in dir/rank<r>.log); returns their process ids.
inline std::vector<pid_t> start_ranks(const std::string& args, int ranks, const std::filesystem::path& dir) {
  const int port = free_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < ranks; ++r) {
    pids.push_back(spawn(args, rank_env(r, ranks, port), dir / ("rank" + std::to_string(r) + ".log")));
  }
  return pids;
}

/// Runs `args` on `ranks` local ranks; returns each rank's exit code (logs in dir/rank<r>.log).
inline std::vector<int> run_ranks(const std::string& args, int ranks, const std::filesystem::path& dir,
                                  double seconds = 120) {
  std::vector<int> codes;
  for (pid_t pid : start_ranks(args, ranks, dir)) codes.push_back(wait_exit(pid, seconds));
  return codes;
}

/// Waits until `path` exists (or `seconds` pass).
inline bool wait_for_file(const std::filesystem::path& path, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace sparsenas::test
