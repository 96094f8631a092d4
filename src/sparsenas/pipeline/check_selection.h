#pragma once
// `sparsenas check-selection --run SPARSE_RUN --on SUPERNET_RUN` (issue 12 item 7): the paper's
// Equation 4 tested on its own, free of any training recipe. The networks of SPARSE_RUN's sparse
// space and as many random networks from the same MACs intervals are evaluated on ONE supernet
// trained on the whole space (an `spos` or `ofa` run), each BN-recalibrated as the family stage
// does; if the selection selects, its networks are more accurate there than random ones of equal
// MACs. The statistic and its interval are report/selection_stats.h.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/report/selection_stats.h"
#include "sparsenas/space/arch.h"

namespace sparsenas::pipeline {

/// Settings of `check_selection`.
struct CheckSelectionOptions {
  std::string split = "test";  ///< "test" (never used by any selection) or "val"
  /// Images of the split per network; 0 = the supernet run's family setting (family.test_images
  /// or family.val_images; there 0 means all).
  int64_t images = 0;
  uint64_t seed = 0;                  ///< random networks and bootstrap
  int64_t bootstrap_resamples = 1000;  ///< 0 = no interval
  /// Rejection sampling: uniform draws from the space per interval before giving the interval up
  /// (it is then left out of both sides and listed in `skipped`).
  int64_t max_draws_per_interval = 2000000;
  /// The JSON result; "" = `<SPARSE_RUN>/check_selection.json`. The partial results of an
  /// interrupted evaluation are kept beside it (`<stem>.partial.json`) and a rerun continues.
  std::filesystem::path out;

  /// Throws sparsenas::Error naming the flag, the expected values and the value.
  void validate() const;
};

/// One evaluated network.
struct CheckedNetwork {
  space::Arch arch;
  int64_t interval = 0;  ///< index of its interval in the sparse space's grid
  int64_t macs = 0;
  bool selected = false;  ///< from the sparse space (else random)
  double top1 = 0;
};

/// The result, also written as JSON (to_json).
struct CheckSelectionResult {
  std::filesystem::path sparse_run, supernet_run, json;
  std::string sparse_method, supernet_method, split;
  int64_t images = 0;
  uint64_t seed = 0;
  int64_t bootstrap_resamples = 0;
  struct IntervalInfo {
    int64_t index = 0, min_macs = 0, max_macs = 0, networks = 0, draws = 0;
  };
  std::vector<IntervalInfo> intervals;  ///< compared, in MACs order (parallel to stats.intervals)
  std::vector<IntervalInfo> skipped;    ///< no random network found within max_draws_per_interval
  std::vector<CheckedNetwork> networks;
  report::SelectionDifference stats;
};

nlohmann::json to_json(const CheckSelectionResult& result);

/// Runs the check. Before anything is loaded or written it refuses (sparsenas::Error naming the
/// run and what is wrong): a directory that is not a run, SPARSE_RUN without sparse_space.json,
/// SUPERNET_RUN whose method is not spos or ofa (its supernet was not trained on the whole space)
/// or without supernet.pt, and two runs whose spaces differ (the sparse space's stored space vs the
/// supernet's; this covers the resolution, channels, classes and width). Progress on stderr;
/// Ctrl-C saves the networks evaluated so far and a rerun of the same command continues.
CheckSelectionResult check_selection(const std::filesystem::path& sparse_run,
                                     const std::filesystem::path& supernet_run,
                                     const CheckSelectionOptions& options);

}  // namespace sparsenas::pipeline
