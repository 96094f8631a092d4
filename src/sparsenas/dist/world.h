#pragma once
// The processes of a data-parallel run (one per rank) and the few collectives sparsenas needs.
// LibTorch-free: the c10d process group (Gloo over TCP) lives in world.cpp only; tensors.h adds
// the tensor collectives. The world comes from the environment a launcher sets (torchrun, or any
// that sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); without RANK and WORLD_SIZE
// the process is alone (rank 0 of 1) and every collective is a no-op.
//
// Faults: every collective (and the rendezvous, connection to MASTER_ADDR included) gives up
// after the collective timeout and throws sparsenas::Error naming the operation, this rank and the
// timeout; a peer that died is usually noticed at once (connection closed). A peer that hangs
// (stopped by SIGSTOP, swapping, a dead host with its sockets open) is found by heartbeats: every
// rank's background thread writes a counter to the store every second and reads the others'; one
// whose counter has not moved for the heartbeat timeout, or a store that does not answer within it,
// makes this rank log an error naming that rank (or the store's host) and exit with code 1 at once,
// even from inside a blocked collective. So a dead or hung rank makes the others exit non-zero in
// bounded time, never hang. Waiting for a stage that rank 0 runs alone is `barrier`, which polls the
// store and has no deadline of its own: a long rank-0 stage does not trip the collective timeout,
// and the heartbeats bound the wait if rank 0 hangs.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sparsenas::dist {

/// Default collective timeout in seconds: ranks meet at collectives only for short exchanges
/// (gradients, metrics, a checkpoint write on rank 0); long waits for rank 0 go through `barrier`,
/// which has no deadline, and hung ranks are found by the heartbeats. PyTorch's default is 30 min.
inline constexpr double kDefaultTimeoutSeconds = 600.0;
/// Default heartbeat timeout in seconds: a rank silent this long counts as hung.
inline constexpr double kDefaultHeartbeatTimeoutSeconds = 120.0;

/// The launcher's view of this process, parsed from the environment.
struct WorldEnv {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  std::string master_addr;  ///< empty when alone
  int master_port = 0;
  /// torchrun hosts the TCPStore itself (TORCHELASTIC_USE_AGENT_STORE=True): every rank is a client.
  bool agent_store = false;
  std::string store_prefix = "sparsenas/";  ///< keys of this run in the store (restart count included)
};

/// Parses RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (and torchrun's
/// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT) through `getenv`. None of RANK and
/// WORLD_SIZE set: alone. Throws sparsenas::Error naming the variable, what was expected and what was
/// found for: a non-integer, WORLD_SIZE < 1, RANK outside [0, WORLD_SIZE), only one of RANK and
/// WORLD_SIZE, and (WORLD_SIZE > 1) a missing MASTER_ADDR or a MASTER_PORT outside [1, 65535].
WorldEnv parse_world_env(const std::function<const char*(const char*)>& getenv);

/// Sets the collective timeout (seconds, > 0) used from the next `init` on.
void set_timeout_seconds(double seconds);
/// Sets the heartbeat timeout (seconds, > 0) used from the next `init` on.
void set_heartbeat_timeout_seconds(double seconds);

/// Joins the world described by the environment (once; later calls do nothing). With more than
/// one rank: connects to the store at MASTER_ADDR:MASTER_PORT (rank 0 hosts it unless torchrun's
/// agent does), builds the Gloo process group, and quiets ranks other than 0 (log level WARN,
/// no progress output). Throws sparsenas::Error on a bad environment or when the rendezvous fails
/// within the timeout. Every function below calls it first.
void init();

int rank();
int size();
int local_rank();
/// More than one rank.
bool is_distributed();
/// Rank 0: the one that writes files and prints results.
bool is_main();

/// Sums `n` floats (doubles) element-wise over the ranks, in place; every rank gets the sum.
void all_reduce_sum(float* data, size_t n);
void all_reduce_sum(double* data, size_t n);
/// Every rank's `value`, indexed by rank.
std::vector<double> all_gather(double value);
/// Every rank's `bytes` (lengths may differ), indexed by rank.
std::vector<std::string> all_gather_bytes(const std::string& bytes);
/// True on every rank when `value` is true on some rank (e.g. a stop request that every rank must
/// act on at the same point).
bool any_rank(bool value);
/// Waits for every rank, through the store (no deadline: see "Faults" above). A rank that ended
/// before reaching it is an error naming that rank.
void barrier();
/// Throws sparsenas::Error (on every rank) unless every rank passes the same `value`; the message
/// names `what` and each rank's value. For checks such as "every rank samples the same networks".
void check_same(const std::string& what, const std::string& value);

}  // namespace sparsenas::dist
