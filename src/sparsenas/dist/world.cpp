#include "sparsenas/dist/world.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/tensors.h"

namespace sparsenas::dist {
namespace {

double g_timeout_seconds = kDefaultTimeoutSeconds;
double g_heartbeat_seconds = kDefaultHeartbeatTimeoutSeconds;

struct World {
  WorldEnv env;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

// Never destroyed: after a failed collective the process group may not shut down cleanly, and the
// process exits right after anyway.
World* g_world = nullptr;
std::mutex g_mutex;

std::chrono::milliseconds timeout_ms() {
  return std::chrono::milliseconds(static_cast<int64_t>(g_timeout_seconds * 1000.0));
}

int parse_int(const char* name, const char* text, const char* expected) {
  const std::string s = text;
  size_t used = 0;
  long long value = 0;
  bool ok = !s.empty();
  if (ok) {
    try {
      value = std::stoll(s, &used, 10);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  SNAS_CHECK(ok && used == s.size() && value >= -2147483647LL && value <= 2147483647LL,
             "environment variable ", name, " must be ", expected, ", got \"", s, "\"");
  return static_cast<int>(value);
}

[[noreturn]] void fail(const char* op, const std::string& what) {
  const World& w = *g_world;
  SNAS_FAIL("distributed ", op, " failed on rank ", w.env.rank, " of ", w.env.size, " (store ",
            w.env.master_addr, ":", w.env.master_port, "): ", what,
            ". Another rank has probably died, hung or disagrees; a collective gives up after ",
            g_timeout_seconds,
            " s (--dist-timeout). Rerun the same command on every rank to resume from the last checkpoint");
}

template <typename Start>
void run(const char* op, Start start) {
  try {
    c10::intrusive_ptr<c10d::Work> work = start(*g_world->group);
    work->wait(timeout_ms());
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    fail(op, e.what_without_backtrace());
  } catch (const std::exception& e) {
    fail(op, e.what());
  }
}

World& world() {
  init();
  return *g_world;
}

void check_cpu(const torch::Tensor& t) {
  SNAS_CHECK(t.device().is_cpu(), "distributed training needs CPU tensors: this LibTorch has no NCCL (built "
             "without CUDA), so ranks talk through Gloo; got a tensor on ", t.device(),
             ". Use device \"cpu\" with several ranks");
}

}  // namespace

WorldEnv parse_world_env(const std::function<const char*(const char*)>& getenv) {
  WorldEnv env;
  const char* rank = getenv("RANK");
  const char* size = getenv("WORLD_SIZE");
  if (rank == nullptr && size == nullptr) return env;
  SNAS_CHECK(rank != nullptr && size != nullptr, "environment variables RANK and WORLD_SIZE must be set together, got ",
             rank ? "RANK only" : "WORLD_SIZE only", " (unset both to run one process)");
  env.size = parse_int("WORLD_SIZE", size, "an integer >= 1 (the number of processes)");
  SNAS_CHECK(env.size >= 1, "environment variable WORLD_SIZE must be an integer >= 1 (the number of processes), got ",
             env.size);
  env.rank = parse_int("RANK", rank, "an integer in [0, WORLD_SIZE)");
  SNAS_CHECK(env.rank >= 0 && env.rank < env.size, "environment variable RANK must be an integer in [0, WORLD_SIZE) = [0, ",
             env.size, "), got ", env.rank);
  if (const char* local = getenv("LOCAL_RANK")) {
    env.local_rank = parse_int("LOCAL_RANK", local, "an integer >= 0");
    SNAS_CHECK(env.local_rank >= 0, "environment variable LOCAL_RANK must be an integer >= 0, got ", env.local_rank);
  }
  if (env.size == 1) return env;
  const char* addr = getenv("MASTER_ADDR");
  SNAS_CHECK(addr != nullptr && *addr != '\0', "environment variable MASTER_ADDR must name the host of rank 0 when "
             "WORLD_SIZE is ", env.size, ", got ", addr ? "an empty value" : "nothing (unset)");
  env.master_addr = addr;
  const char* port = getenv("MASTER_PORT");
  SNAS_CHECK(port != nullptr, "environment variable MASTER_PORT must be a TCP port in [1, 65535] when WORLD_SIZE is ",
             env.size, ", got nothing (unset)");
  env.master_port = parse_int("MASTER_PORT", port, "a TCP port in [1, 65535]");
  SNAS_CHECK(env.master_port >= 1 && env.master_port <= 65535,
             "environment variable MASTER_PORT must be a TCP port in [1, 65535], got ", env.master_port);
  const char* agent = getenv("TORCHELASTIC_USE_AGENT_STORE");
  env.agent_store = agent != nullptr && (std::string(agent) == "True" || std::string(agent) == "1");
  if (const char* restart = getenv("TORCHELASTIC_RESTART_COUNT")) env.store_prefix += std::string(restart) + "/";
  return env;
}

void set_timeout_seconds(double seconds) {
  SNAS_CHECK(seconds > 0, "--dist-timeout must be > 0 seconds, got ", seconds);
  g_timeout_seconds = seconds;
}

void set_heartbeat_timeout_seconds(double seconds) {
  SNAS_CHECK(seconds > 0, "--dist-heartbeat-timeout must be > 0 seconds, got ", seconds);
  g_heartbeat_seconds = seconds;
}

namespace {

// Keys under the run's prefix: "heartbeat/<rank>" (a counter), "exited/<rank>" (set when a rank's
// process ends, so that the others stop watching it), "barrier/<n>" (arrivals at the n-th barrier).
std::string heartbeat_key(int rank) { return "heartbeat/" + std::to_string(rank); }
std::string exited_key(int rank) { return "exited/" + std::to_string(rank); }

std::atomic<bool> g_exiting{false};

[[noreturn]] void die(const std::string& message) {
  SNAS_LOG(ERROR) << message;
  std::fflush(stderr);
  std::fflush(stdout);
  std::_Exit(1);  // from the heartbeat thread, while the main thread may be blocked in a collective
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// An exception's message without LibTorch's backtrace.
std::string message_of(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  return c10_error ? c10_error->what_without_backtrace() : e.what();
}

std::string store_host(const WorldEnv& env) {
  return env.master_addr + ":" + std::to_string(env.master_port) +
         (env.agent_store ? " (torchrun's agent)" : " (hosted by rank 0)");
}

// The heartbeat thread: its own connection to the store (a TCPStore client is not thread-safe),
// whose calls time out after the heartbeat timeout.
void heartbeat_loop(WorldEnv env, double timeout) {
  using Clock = std::chrono::steady_clock;
  c10::intrusive_ptr<c10d::Store> store;
  const auto period = std::chrono::duration<double>(std::min(1.0, timeout / 10));
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(env.master_port);
    options.isServer = false;
    options.waitWorkers = false;
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
    store = c10::make_intrusive<c10d::PrefixStore>(env.store_prefix,
                                                   c10::make_intrusive<c10d::TCPStore>(env.master_addr, options));
  } catch (const std::exception& e) {
    die("distributed heartbeat: rank " + std::to_string(env.rank) + " cannot reach the store at " + store_host(env) +
        ": " + message_of(e));
  }
  std::vector<std::string> last(env.size);
  std::vector<Clock::time_point> moved(env.size, Clock::now());
  std::vector<bool> exited(env.size, false);
  for (int64_t beat = 1; !g_exiting.load(); ++beat) {
    try {
      const std::string b = std::to_string(beat);
      store->set(heartbeat_key(env.rank), std::vector<uint8_t>(b.begin(), b.end()));
      for (int r = 0; r < env.size; ++r) {
        if (r == env.rank || exited[r]) continue;
        if (store->check({exited_key(r)})) {
          exited[r] = true;
          continue;
        }
        if (!store->check({heartbeat_key(r)})) continue;
        const std::vector<uint8_t> v = store->get(heartbeat_key(r));
        std::string value(v.begin(), v.end());
        if (value != last[r]) {
          last[r] = std::move(value);
          moved[r] = Clock::now();
        }
      }
    } catch (const std::exception& e) {
      if (g_exiting.load()) return;
      die("distributed heartbeat: the store at " + store_host(env) + " did not answer rank " + std::to_string(env.rank) +
          " within " + number(timeout) + " s (--dist-heartbeat-timeout): " +
          (env.agent_store ? "torchrun's agent" : "rank 0") + " is stopped, hung or gone (" + message_of(e) +
          "). Rank " + std::to_string(env.rank) + " stops; rerun the same command on every rank to resume from the "
          "last checkpoint");
    }
    for (int r = 0; r < env.size; ++r) {
      if (r == env.rank || exited[r]) continue;
      const double silent = std::chrono::duration<double>(Clock::now() - moved[r]).count();
      if (silent > timeout && !g_exiting.load()) {
        die("distributed heartbeat: rank " + std::to_string(r) + " of " + std::to_string(env.size) +
            " has sent no heartbeat for " + std::to_string(static_cast<int64_t>(silent)) +
            " s (--dist-heartbeat-timeout " + number(timeout) + "): it is stopped, hung or its host is gone. "
            "Rank " + std::to_string(env.rank) + " stops; rerun the same command on every rank to resume from the "
            "last checkpoint");
      }
    }
    std::this_thread::sleep_for(period);
  }
}

// At the end of the process (exit or return from main): tell the others not to wait for this rank.
void mark_exited() {
  g_exiting.store(true);
  if (g_world == nullptr || g_world->env.size <= 1) return;
  try {
    g_world->store->set(exited_key(g_world->env.rank), std::vector<uint8_t>{1});
  } catch (const std::exception&) {
    // The store is gone with rank 0: nobody is left to tell.
  }
}

}  // namespace

void init() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_world != nullptr) return;
  auto w = std::make_unique<World>();
  w->env = parse_world_env([](const char* name) { return std::getenv(name); });
  if (w->env.size > 1) {
    const WorldEnv& env = w->env;
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(env.master_port);
    options.isServer = env.rank == 0 && !env.agent_store;
    // Every rank counts itself in (waitWorkers), as Python's TCPStore does: a client that does
    // not would leave the server waiting, and LibTorch 1.13 gives up that wait silently only
    // after the whole timeout.
    options.numWorkers = static_cast<size_t>(env.size);
    options.waitWorkers = !env.agent_store;
    options.timeout = timeout_ms();
    try {
      auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
      w->store = c10::make_intrusive<c10d::PrefixStore>(env.store_prefix, tcp);
      auto group_options = c10d::ProcessGroupGloo::Options::create(timeout_ms());
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
        group_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else {
        group_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      w->group = c10::make_intrusive<c10d::ProcessGroupGloo>(w->store, env.rank, env.size, group_options);
    } catch (const std::exception& e) {
      const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
      SNAS_FAIL("distributed start failed on rank ", env.rank, " of ", env.size, ": could not meet the other ranks at "
                "MASTER_ADDR:MASTER_PORT = ", env.master_addr, ":", env.master_port, " within ", g_timeout_seconds,
                " s (--dist-timeout): ", c10_error ? c10_error->what_without_backtrace() : e.what(),
                ". Check that every rank was started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, and that "
                "rank 0's host is reachable");
    }
    if (env.rank != 0) {
      // Rank 0 speaks for the run; the others report only warnings and errors.
      if (log_level() > LogLevel::kWarn) set_log_level(LogLevel::kWarn);
      ::setenv("SNAS_PROGRESS", "0", /*overwrite=*/1);
    }
  }
  g_world = w.release();
  if (g_world->env.size > 1) {
    std::thread(heartbeat_loop, g_world->env, g_heartbeat_seconds).detach();
    std::atexit(mark_exited);
  }
  if (g_world->env.size > 1 && g_world->env.rank == 0) {
    SNAS_LOG(INFO) << "distributed: " << g_world->env.size << " ranks (Gloo), store " << g_world->env.master_addr
                   << ":" << g_world->env.master_port << ", collective timeout " << g_timeout_seconds
                   << " s, heartbeat timeout " << g_heartbeat_seconds << " s";
  }
}

int rank() { return world().env.rank; }
int size() { return world().env.size; }
int local_rank() { return world().env.local_rank; }
bool is_distributed() { return size() > 1; }
bool is_main() { return rank() == 0; }

void all_reduce_sum(float* data, size_t n) {
  if (!is_distributed() || n == 0) return;
  torch::Tensor t = torch::from_blob(data, {static_cast<int64_t>(n)}, torch::kFloat);
  all_reduce_sum_(t);
}

void all_reduce_sum(double* data, size_t n) {
  if (!is_distributed() || n == 0) return;
  torch::Tensor t = torch::from_blob(data, {static_cast<int64_t>(n)}, torch::kDouble);
  all_reduce_sum_(t);
}

std::vector<double> all_gather(double value) {
  if (!is_distributed()) return {value};
  std::vector<at::Tensor> input = {torch::full({1}, value, torch::kDouble)};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < size(); ++r) output[0].push_back(torch::empty({1}, torch::kDouble));
  run("all_gather", [&](c10d::ProcessGroupGloo& g) { return g.allgather(output, input); });
  std::vector<double> values;
  for (const auto& t : output[0]) values.push_back(t.item<double>());
  return values;
}

std::vector<std::string> all_gather_bytes(const std::string& bytes) {
  if (!is_distributed()) return {bytes};
  const std::vector<double> lengths = all_gather(static_cast<double>(bytes.size()));
  int64_t longest = 0;
  for (double l : lengths) longest = std::max(longest, static_cast<int64_t>(l));
  std::vector<at::Tensor> input = {torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8)};
  std::memcpy(input[0].data_ptr(), bytes.data(), bytes.size());
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < size(); ++r) output[0].push_back(torch::empty_like(input[0]));
  run("all_gather", [&](c10d::ProcessGroupGloo& g) { return g.allgather(output, input); });
  std::vector<std::string> values;
  for (int r = 0; r < size(); ++r) {
    const auto* p = static_cast<const char*>(output[0][r].data_ptr());
    values.emplace_back(p, p + static_cast<int64_t>(lengths[r]));
  }
  return values;
}

bool any_rank(bool value) {
  if (!is_distributed()) return value;
  double flag = value ? 1.0 : 0.0;
  all_reduce_sum(&flag, 1);
  return flag > 0;
}

void barrier() {
  if (!is_distributed()) return;
  // Every rank calls the barriers in the same order, so the n-th call of each meets the others'.
  static int64_t generation = 0;
  const std::string key = "barrier/" + std::to_string(generation++);
  World& w = world();
  try {
    w.store->add(key, 1);
    for (int64_t polls = 0; w.store->add(key, 0) < w.env.size; ++polls) {
      // Not every poll: a rank that ended (error or finished) will never arrive.
      if (polls % 10 == 9) {
        for (int r = 0; r < w.env.size; ++r) {
          if (r != w.env.rank && w.store->check({exited_key(r)}))
            fail("barrier", "rank " + std::to_string(r) + " ended before reaching it");
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(polls < 100 ? 2 : 20));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("barrier", message_of(e));
  }
}

void check_same(const std::string& what, const std::string& value) {
  if (!is_distributed()) return;
  const std::vector<std::string> all = all_gather_bytes(value);
  bool same = true;
  for (const auto& v : all) same = same && v == all[0];
  if (same) return;
  std::string list;
  for (size_t r = 0; r < all.size(); ++r) list += (r ? ", rank " : "rank ") + std::to_string(r) + ": " + all[r];
  SNAS_FAIL("the ranks disagree on ", what, " (", list,
            "); every rank must run the same command with the same settings and inputs");
}

// --- tensors.h ---

void all_reduce_sum_(torch::Tensor& tensor) {
  if (!is_distributed()) return;
  check_cpu(tensor);
  SNAS_INTERNAL_ASSERT(tensor.is_contiguous(), "all_reduce_sum_ needs a contiguous tensor");
  std::vector<at::Tensor> tensors = {tensor};
  run("all_reduce", [&](c10d::ProcessGroupGloo& g) { return g.allreduce(tensors); });
}

void all_reduce_sum_(const std::vector<torch::Tensor>& tensors) {
  if (!is_distributed() || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) {
    check_cpu(t);
    flat.push_back(t.reshape({-1}).to(torch::kFloat));
  }
  torch::Tensor buffer = torch::cat(flat);
  all_reduce_sum_(buffer);
  int64_t at = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(buffer.narrow(0, at, n).view(t.sizes()));
    at += n;
  }
}

namespace {
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x) {
    torch::Tensor y = x.contiguous().clone();
    all_reduce_sum_(y);
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list grads) {
    torch::Tensor g = grads[0].contiguous().clone();
    all_reduce_sum_(g);
    return {g};
  }
};
}  // namespace

torch::Tensor all_reduce_sum_autograd(const torch::Tensor& tensor) {
  if (!is_distributed()) return tensor;
  return AllReduceSum::apply(tensor);
}

void broadcast_from_main_(const std::vector<torch::Tensor>& tensors) {
  if (!is_distributed() || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) {
    check_cpu(t);
    flat.push_back(t.reshape({-1}).to(torch::kDouble));
  }
  std::vector<at::Tensor> buffer = {torch::cat(flat)};
  run("broadcast", [&](c10d::ProcessGroupGloo& g) { return g.broadcast(buffer, c10d::BroadcastOptions{}); });
  int64_t at = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(buffer[0].narrow(0, at, n).view(t.sizes()));
    at += n;
  }
}

}  // namespace sparsenas::dist
