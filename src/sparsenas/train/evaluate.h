#pragma once
// Sub-network evaluation and BN recalibration (OFA set_running_statistics, reference §4).

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "sparsenas/data/dataset.h"
#include "sparsenas/space/arch.h"

namespace sparsenas::nn {
class SupernetImpl;   // sparsenas/nn/supernet.h
class StaticNetImpl;  // sparsenas/nn/static_net.h
}  // namespace sparsenas::nn

namespace sparsenas::train {

/// OFA's SUB_SEED: the fixed permutation that picks the BN recalibration images.
constexpr uint64_t kBnSubsetSeed = 937162211;

/// Accuracy and loss of one network on one dataset.
struct EvalResult {
  double top1 = 0.0;     ///< fraction of images whose arg-max logit is the label, in [0, 1]
  double loss = 0.0;     ///< mean cross-entropy (no label smoothing)
  int64_t images = 0;    ///< images evaluated
  double seconds = 0.0;  ///< wall time of the evaluation
  /// Per image, in dataset order: 1 when its arg-max logit is the label (top1 = their mean).
  std::vector<uint8_t> correct;
};

/// A network's forward pass: normalised float images [N, C, H, W] -> logits [N, K].
using ForwardFn = std::function<torch::Tensor(const torch::Tensor&)>;

/// The BN recalibration images: the first `count` images of the fixed permutation `seed` of
/// `train` (all of them when `train` has fewer). Use one subset for every network (OFA).
data::Dataset bn_recalibration_subset(const data::Dataset& train, int64_t count,
                                      uint64_t seed = kBnSubsetSeed);

/// Sets `arch` active and replaces the BN running statistics of its active slices by the plain
/// averages (weighted by batch size) of the batch mean and biased batch variance over `subset`,
/// in order, in batches of `batch` (OFA set_running_statistics). Runs under no_grad in eval mode
/// (dropout off; BN uses batch statistics while recalibrating regardless of mode) and restores
/// the module's train/eval mode. Images are not augmented (OFA applies its train-time crop and
/// flip here; we keep recalibration deterministic and matched to the evaluation images).
/// `mean`/`std` as for data::to_float_normalized. Throws on an empty subset.
void recalibrate_bn(nn::SupernetImpl& net, const space::Arch& arch, const data::Dataset& subset,
                    int64_t batch, const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device);

/// Evaluates `forward` on `dataset` in batches of `batch` (dataset order, no augmentation), with
/// images moved to `device`, under no_grad. The caller sets the module's eval mode.
/// Throws on an empty dataset.
EvalResult evaluate(const ForwardFn& forward, const data::Dataset& dataset, int64_t batch,
                    const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device);

/// Sets `arch` active and evaluates the supernet in eval mode (restoring its mode after).
/// Recalibrate BN first (`recalibrate_bn`) unless its running statistics belong to `arch`.
EvalResult evaluate(nn::SupernetImpl& net, const space::Arch& arch, const data::Dataset& dataset,
                    int64_t batch, const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device);

/// Evaluates a static network in eval mode (restoring its mode after).
EvalResult evaluate(nn::StaticNetImpl& net, const data::Dataset& dataset, int64_t batch,
                    const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device);

}  // namespace sparsenas::train
