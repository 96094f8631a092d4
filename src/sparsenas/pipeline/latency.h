#pragma once
// Latency where the network will run: `sparsenas latency` (every family network of a run measured
// whole, in LibTorch or in OpenCV DNN through its ONNX export, written to latency/<device>.csv)
// and `sparsenas latency-table` (each distinct block configuration of a space measured once, a
// network predicted as the sum of its parts: search/latency_table.h).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::nn {
class StaticNetImpl;  // sparsenas/nn/static_net.h
}  // namespace sparsenas::nn

namespace sparsenas::pipeline {

/// How a latency is measured. The defaults live here only (the CLI prints them).
struct LatencyOptions {
  std::string runtime = "libtorch";
  int64_t threads = 1;
  int64_t batch = 1;
  int64_t warmup = 5;
  int64_t repeats = 30;

  template <class V>
  void fields(V& v) {
    v("runtime", runtime,
      "runtime the network runs in: libtorch (the extracted network) or opencv (its ONNX export in OpenCV DNN)")
        .one_of({"libtorch", "opencv"});
    v("threads", threads, "CPU threads of the runtime").range(1, 1024);
    v("batch", batch, "images per forward").range(1, 4096);
    v("warmup", warmup, "untimed forwards before timing").range(0, 100000);
    v("repeats", repeats, "timed forwards; the median and the 90th percentile are reported").range(1, 100000);
  }
};

/// Throws unless every field of `options` is in range (errors name the field).
void validate(const LatencyOptions& options);

/// Wall times in ms of `options.repeats` forwards of `net` (after `options.warmup` untimed ones)
/// on one input [batch, C, R, R] (the space's shape): in LibTorch (`net.forward`, no gradients,
/// `threads` intra-op threads), or in OpenCV DNN running `exporter::to_onnx(net)` from memory.
/// The ONNX graph holds the input normalisation; its constants do not change the time, so mean 0
/// and std 1 are used. `net` must be in eval mode. The opencv runtime needs a build with ONNX.
std::vector<double> time_network(nn::StaticNetImpl& net, const LatencyOptions& options);

/// What `measure_run_latency` did.
struct RunLatency {
  std::filesystem::path file;  ///< latency/<device>.csv
  std::string device;
  std::vector<rundir::LatencyRow> rows;
  int64_t resumed = 0;  ///< rows taken from an interrupted earlier call
};

/// `sparsenas latency`: every network of the run's family.csv, extracted from supernet.pt (the
/// deployed layout: NCHW contiguous, eval mode), timed by time_network, with a progress bar;
/// writes `latency/<device>.csv` atomically at the end (an existing one is replaced). After each
/// network the rows so far go to `latency/<device>.partial.csv`, and a later call with the same
/// options continues after them; Ctrl-C (train::request_stop) stops after the current network with
/// pipeline::Interrupted. `device` must pass rundir::check_device_name. Errors (no such
/// run, unfinished run, bad options, opencv without ONNX) come before anything is written.
RunLatency measure_run_latency(const std::filesystem::path& run_dir, const LatencyOptions& options,
                               const std::string& device);

/// `sparsenas latency-table`: each part of search::block_configs(space) measured once
/// (options.repeats timed runs after options.warmup, the median kept) on an input of its shape,
/// with randomly initialised weights, in LibTorch (options.runtime must be "libtorch"); a progress
/// bar. `machine` names the host (rundir::host_cpu_name()).
search::LatencyTable build_latency_table(const space::SearchSpace& space, const LatencyOptions& options,
                                         const std::string& machine);

/// The median ms of whole networks of `space` (random weights, eval mode) timed by time_network
/// in LibTorch: the reference the table's predictions are checked against.
double measure_whole_network_ms(const space::SearchSpace& space, const space::Arch& arch,
                                const LatencyOptions& options);

/// A table's error against networks measured whole.
struct LatencyTableCheck {
  int64_t networks = 0;
  double rmse_percent = 0.0;      ///< sqrt(mean(((predicted - measured) / measured)^2)) * 100
  double mean_abs_percent = 0.0;  ///< mean(|predicted - measured| / measured) * 100
  double bias_percent = 0.0;      ///< mean((predicted - measured) / measured) * 100 (> 0: over-predicts)
  double kendall_tau = 0.0;       ///< predictor::kendall_tau(predicted, measured)
  std::vector<double> predicted_ms, measured_ms;
};

/// `count` distinct random networks of `space` (seeded), each predicted by `table` and measured
/// whole with `options`; `source` names the table in errors. Checks the table against the space.
LatencyTableCheck check_latency_table(const search::LatencyTable& table, const std::string& source,
                                      const space::SearchSpace& space, const LatencyOptions& options, int64_t count,
                                      uint64_t seed);

}  // namespace sparsenas::pipeline
