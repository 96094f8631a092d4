#pragma once
// Standalone ONNX export of one extracted network: a file that ONNX runtimes (OpenCV DNN, ONNX
// Runtime, TensorRT, ...) open without any sparsenas code.
//
// The graph is built node by node from the StaticNet's layers (no tracing, no Python), with
// Debian's libonnx protobuf classes; they stay inside onnx.cpp, so this header pulls in neither
// protobuf nor onnx. A build without libonnx-dev/libopencv-dnn-dev compiles onnx_unavailable.cpp
// instead, whose functions throw a clear error.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/nn/static_net.h"

namespace sparsenas::exporter {

/// The ONNX operator set the exporter writes (the default domain only). 14 is the first opset with
/// `HardSwish`; OpenCV 4.6 (Debian 12) runs every op of the graph at this opset.
constexpr int64_t kOnnxOpset = 14;

/// True when this build can write and run ONNX files (libonnx and OpenCV DNN were found).
bool onnx_available();

/// The ONNX model of `net`, serialized (the bytes of an `onnx.ModelProto`).
///
/// Graph: input `input`, float32 [N, C, H, W] with pixel values in [0, 1], N a named dynamic
/// dimension ("N"), C the space's input channels and H = W = the training resolution; output
/// `logits`, float32 [N, num_classes]. Inside, standard ONNX ops only, chosen so that OpenCV 4.6
/// (Debian 12) runs them at any batch size:
/// - `(input - mean) / std` as BatchNormalization(mean, var = std^2, epsilon 0);
/// - every convolution with its BatchNorm folded in (W * g / sqrt(v + eps), (b - m) * g /
///   sqrt(v + eps) + beta, computed in double);
/// - ReLU as `Relu`; h-swish as `HardSwish`; ReLU6 as `Relu(x) - Relu(x - 6)` (OpenCV 4.6 reads
///   only the pre-opset-11 `Clip`);
/// - SE as GlobalAveragePool, Conv, Relu, Conv, `HardSigmoid(alpha 1/6, beta 0.5)`, then the gate
///   repeated to the feature map's size (`Resize`, nearest) and `Mul` (OpenCV 4.6 cannot broadcast
///   a computed [N, C, 1, 1] gate when N > 1);
/// - the head's pooling as GlobalAveragePool, then Flatten and Gemm.
/// Initializers are named after the StaticNet layers (`stem_weight`, `blocks_3_dw_bias`,
/// `classifier_weight`, ...). Metadata properties: `space`, `arch` (OFA JSON), `mean`, `std`
/// (JSON lists), `input_size`, `num_classes`.
///
/// The model passes `onnx::checker::check_model` and strict shape inference (the function runs
/// both before returning; a failure is an internal error). `mean`/`std` follow `to_torchscript`:
/// one value per input channel or one for all, finite, std > 0. A layer with no ONNX mapping
/// (padding other than explicit zeros, a head other than mbv3/proxyless, BatchNorm without running
/// statistics) throws sparsenas::Error naming the layer, the field, what ONNX needs and what it got.
///
/// Example:
/// ```
/// nn::StaticNet net(supernet->extract(arch));
/// const std::string bytes = exporter::to_onnx(*net, {0.286f}, {0.353f});
/// ```
std::string to_onnx(const nn::StaticNetImpl& net, const std::vector<float>& mean, const std::vector<float>& std);

/// `to_onnx(net, mean, std)` written to `path` atomically (a temporary file beside it, then a
/// rename; parent directories are created). Nothing is written when the network has no ONNX
/// mapping. Throws sparsenas::Error naming the path when the file cannot be written.
void save_onnx(const nn::StaticNetImpl& net, const std::vector<float>& mean, const std::vector<float>& std,
               const std::filesystem::path& path);

/// Runs ONNX's own checker (`onnx::checker::check_model` on the file, then strict shape inference)
/// on the file at `path`; throws sparsenas::Error naming the path and the checker's message.
void check_onnx_model(const std::filesystem::path& path);

/// Logits of the ONNX file at `path` on `pixels` (float32 [N, C, H, W] in [0, 1]), computed by
/// OpenCV's DNN module (`cv::dnn::readNetFromONNX`, CPU backend, `threads` OpenCV threads; 0 keeps
/// OpenCV's setting): an independent runtime, no LibTorch in the computation. Returns float32
/// [N, num_classes]. Throws sparsenas::Error naming the path when OpenCV cannot read or run it.
torch::Tensor run_onnx_opencv(const std::filesystem::path& path, const torch::Tensor& pixels, int threads = 0);

/// Wall times in milliseconds of `repeats` OpenCV DNN forwards (after `warmup` untimed ones) of
/// the serialized ONNX model `model` (the bytes of to_onnx, read from memory: no file) on one
/// input float32 [batch, channels, size, size] of zeros-to-ones pixels, CPU backend, `threads`
/// OpenCV threads (cv::setNumThreads). Only the forward is timed (setInput + forward), not the
/// model's parsing. Throws sparsenas::Error when OpenCV cannot read or run the model, and (in a
/// build without ONNX) onnx_unavailable's error.
std::vector<double> time_onnx_opencv(const std::string& model, int64_t batch, int64_t channels, int64_t size,
                                     int threads, int64_t warmup, int64_t repeats);

/// What `check_onnx` measured.
struct OnnxCheck {
  int64_t images = 0;          ///< images compared
  double max_abs_diff = 0.0;   ///< largest |OpenCV logit - network logit|
  double max_abs_logit = 0.0;  ///< largest |network logit|, the scale of the tolerance
  std::string runtime;         ///< "opencv-dnn 4.6.0"
};

/// The exporter's self-check: `check_onnx_model(path)`, then `run_onnx_opencv(path, pixels)`
/// against `net.forward(normalized)` (`normalized`: the same images normalised as training did),
/// without gradients; `net` should be in eval mode. The relative difference, max |OpenCV logit -
/// network logit| / max |network logit| over all images and classes, must be <= 1e-4 (float32 sums
/// in another order, BN folded into the weights); more throws sparsenas::Error saying the internal
/// check failed, with both numbers.
OnnxCheck check_onnx(const std::filesystem::path& path, nn::StaticNetImpl& net, const torch::Tensor& pixels,
                     const torch::Tensor& normalized);

}  // namespace sparsenas::exporter
