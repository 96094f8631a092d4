#pragma once
// A training stage's `<stage>/history.json`: one object per epoch (written by the trainer's
// EpochStats, train/trainer.h; format in docs/run-directory.md). The reader takes the fields the
// report and compare use and ignores the others.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace sparsenas::rundir {

/// One epoch of a training stage's `history.json`.
struct HistoryEpoch {
  int64_t epoch = 0;  ///< 0-based
  double train_loss = 0.0;
  double train_top1 = 0.0;  ///< fraction
  double lr = 0.0;
  std::optional<double> val_top1;  ///< mean over the validated networks; absent or null: none
  double seconds = 0.0;
};

/// Reads a `history.json` (a JSON array of epoch objects; unknown keys are ignored). Errors name
/// the file, the array index and the key.
std::vector<HistoryEpoch> read_history(const std::filesystem::path& path);

}  // namespace sparsenas::rundir
