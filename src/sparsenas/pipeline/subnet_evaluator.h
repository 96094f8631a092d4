#pragma once
// Evaluating many sub-networks of one trained supernet: the evaluator that holds what every
// evaluation shares (the BN-recalibration images, the normalisation, the batch sizes, the device)
// and the resumable loop that pairs, family and space-stats run over their networks.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sparsenas/data/dataset.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/space/arch.h"
#include "sparsenas/train/evaluate.h"

namespace sparsenas::pipeline {

/// Sub-network accuracy on a trained supernet, the OFA way: set the architecture, recalibrate its
/// BN statistics on a fixed training subset, evaluate (DESIGN "The elastic supernet").
class SubnetEvaluator {
 public:
  /// `recal`: the recalibration images (train::bn_recalibration_subset); `mean`/`std`: the
  /// training normalisation; batches of `recal_batch` and `eval_batch` images on `device`.
  SubnetEvaluator(nn::SupernetImpl& net, data::Dataset recal, std::vector<float> mean, std::vector<float> std,
                  int64_t recal_batch, int64_t eval_batch, torch::Device device);

  /// Sets `arch` active and recalibrates its BN statistics. Call before `top1` for a new arch.
  void recalibrate(const space::Arch& arch);
  /// Top-1 accuracy (a fraction) of `arch` on `split`, with the statistics of the last
  /// `recalibrate`.
  double top1(const space::Arch& arch, const data::Dataset& split);
  /// As `top1`, with the per-image correctness (train::EvalResult::correct).
  train::EvalResult evaluate(const space::Arch& arch, const data::Dataset& split);
  /// Images seen per network: the recalibration set plus `splits`' sizes.
  int64_t recal_images() const { return recal_.size(); }

 private:
  nn::SupernetImpl& net_;
  data::Dataset recal_;
  std::vector<float> mean_, std_;
  int64_t recal_batch_, eval_batch_;
  torch::Device device_;
};

/// The first `n` images of `d` (all of them when `n` <= 0 or larger than `d`).
data::Dataset first_images(const data::Dataset& d, int64_t n);

/// The identity of an evaluation split for rundir::ImageCorrectness: its size and a hash of its
/// pixels and labels (equal for the same images in the same order; an empty split gives {0, ""}).
rundir::SplitIdentity split_identity(const data::Dataset& d);

/// A loop over `total` networks that can stop and continue: `measure(i)` evaluates network i and
/// returns its result as numbers, `record(i, numbers)` appends its row (the caller's table already
/// holds `done` rows, read back from its partial file); `save` writes the rows so far (every 10
/// networks and on a stop; may be empty for a loop that keeps nothing); `note()` is the progress
/// bar's text after a network. A requested stop (Ctrl-C) saves and throws pipeline::Interrupted
/// naming `label` and the rows saved.
///
/// Data-parallel (dist::size() W > 1): the networks are divided among the ranks in rounds of W,
/// network i measured by rank (i - done) mod W alone; each round's numbers are gathered (one
/// all-gather of bytes, so exactly the numbers the rank computed) and every rank records every
/// row in order, so every rank ends with the table one process would have made from the same
/// measurements. Rank 0 alone saves. A stop request on any rank stops all before the same round.
/// Every rank must call run_loop with the same `total` and `done`.
struct ResumableLoop {
  std::string label;  ///< "pairs", "family", "space-stats"
  size_t total = 0;
  size_t done = 0;
  std::function<std::vector<double>(size_t index)> measure;
  std::function<void(size_t index, const std::vector<double>& numbers)> record;
  std::function<void()> save;
  std::function<std::string()> note;
};
void run_loop(const ResumableLoop& loop);

/// Reads a loop's partial file with `read` and keeps it when its rows are a prefix of the
/// networks to evaluate (`matches(i)` for each of its `size()` rows), else warns and starts over.
/// Returns the number of rows kept (0 when there is no partial file).
size_t resume_rows(const std::filesystem::path& partial, const std::string& label,
                   const std::function<size_t()>& read, const std::function<bool(size_t)>& matches,
                   const std::function<void()>& clear);

}  // namespace sparsenas::pipeline
