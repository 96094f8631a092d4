#pragma once
// Standalone TorchScript export of one extracted network: a file that `torch.jit.load` opens in
// Python or C++ without any sparsenas code.
//
// LibTorch's C++ API cannot trace or script a C++ module, so the exporter writes TorchScript
// source that mirrors `StaticNetImpl::forward` in eval mode (BN with running statistics, no
// dropout), compiles it into a `torch::jit::Module` and registers every weight under a readable
// name (`stem_weight`, `blocks_3_dw_bn_running_var`, `classifier_bias`, ...).

#include <cstdint>
#include <filesystem>
#include <vector>

#include <torch/jit.h>

#include "sparsenas/nn/static_net.h"

// `export` is a C++ keyword, so the namespace of the export library is `exporter`.
namespace sparsenas::exporter {

/// Builds the TorchScript module of `net`.
///
/// The module's `forward(x)` takes a float32 tensor [N, C, H, W] of pixel values in [0, 1]
/// (C = the space's input channels; H and W are free, the training resolution is recorded),
/// normalises it as training did, `(x - mean[c]) / std[c]`, runs the network in inference mode
/// and returns logits [N, num_classes]. Its result equals `net.forward` in eval mode on the
/// normalised input (up to float rounding when `net` holds channels-last weights).
///
/// The module holds copies of every tensor as contiguous (NCHW) float32 CPU tensors: weights and
/// biases as parameters (requires_grad false), BN running statistics as buffers; `net` itself is
/// neither changed nor referenced. Attributes readable from Python: `input_channels`,
/// `input_size` (training resolution), `num_classes` (int), `mean`, `std` (List[float]),
/// `space` (str) and `arch` (str, OFA JSON {"ks", "e", "d"}). The module is in eval mode.
///
/// `mean` and `std` have one value per input channel, or a single value for all channels
/// (as `data::to_float_normalized`); every std must be finite and > 0. Otherwise, or when `net`
/// holds a layer the exporter cannot express, throws sparsenas::Error naming the field.
///
/// Example:
/// ```
/// nn::StaticNet net(supernet->extract(arch));
/// torch::jit::Module m = exporter::to_torchscript(*net, {0.286f}, {0.353f});
/// torch::Tensor logits = m.forward({images01}).toTensor();
/// ```
torch::jit::Module to_torchscript(const nn::StaticNetImpl& net, const std::vector<float>& mean,
                                  const std::vector<float>& std);

/// `to_torchscript(net, mean, std)` saved to `path` atomically (written beside it, then renamed;
/// parent directories are created). Load it in Python with `torch.jit.load(path)`:
/// ```
/// m = torch.jit.load("net.pt")
/// logits = m(images01)          # float32 [N, C, H, W] in [0, 1]
/// print(m.arch, m.num_classes)  # metadata attributes
/// ```
/// Throws sparsenas::Error naming the path when the file cannot be written, and the errors of
/// `to_torchscript`.
void save_torchscript(const nn::StaticNetImpl& net, const std::vector<float>& mean,
                      const std::vector<float>& std, const std::filesystem::path& path);

/// What `check_torchscript` measured.
struct TorchScriptCheck {
  int64_t images = 0;          ///< images compared
  double max_abs_diff = 0.0;   ///< largest |file logit - network logit|
  double max_abs_logit = 0.0;  ///< largest |network logit|, the scale of the tolerance
};

/// The exporter's self-check: loads the TorchScript file at `path` back with `torch::jit::load`
/// and compares its logits on `pixels` (float32 [N, C, H, W] in [0, 1], what the file takes) with
/// `net.forward(normalized)` (`normalized`: the same images normalised as training did, e.g.
/// `data::to_float_normalized` of the uint8 images), both without gradients; `net` should be in
/// eval mode, as the exported module is. The two may differ by float rounding only (float32 sums
/// in another order): more than `1e-5 * max(1, max_abs_logit)` throws sparsenas::Error saying the
/// internal check failed, with both numbers. Errors of `torch::jit::load` propagate.
///
/// Example:
/// ```
/// exporter::save_torchscript(*net, mean, std, "model.pt");
/// const auto check = exporter::check_torchscript("model.pt", *net, pixels01, normalized);
/// ```
TorchScriptCheck check_torchscript(const std::filesystem::path& path, nn::StaticNetImpl& net,
                                   const torch::Tensor& pixels, const torch::Tensor& normalized);

}  // namespace sparsenas::exporter
