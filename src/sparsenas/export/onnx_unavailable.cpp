// ONNX export in a build without libonnx-dev, libprotobuf-dev or libopencv-dnn-dev (or against a
// LibTorch with the pre-C++11 string ABI, which Debian's libonnx cannot link with): every function
// of onnx.h says so.
#include "sparsenas/export/onnx.h"

#include "sparsenas/core/error.h"

namespace sparsenas::exporter {

namespace {
[[noreturn]] void unavailable() {
  SNAS_FAIL("this build of sparsenas has no ONNX support: install libonnx-dev libprotobuf-dev libopencv-dnn-dev "
            "(scripts/setup.sh does) and configure the build again");
}
}  // namespace

bool onnx_available() { return false; }
std::string to_onnx(const nn::StaticNetImpl&, const std::vector<float>&, const std::vector<float>&) { unavailable(); }
void save_onnx(const nn::StaticNetImpl&, const std::vector<float>&, const std::vector<float>&,
               const std::filesystem::path&) {
  unavailable();
}
void check_onnx_model(const std::filesystem::path&) { unavailable(); }
torch::Tensor run_onnx_opencv(const std::filesystem::path&, const torch::Tensor&, int) { unavailable(); }
std::vector<double> time_onnx_opencv(const std::string&, int64_t, int64_t, int64_t, int, int64_t, int64_t) {
  unavailable();
}
OnnxCheck check_onnx(const std::filesystem::path&, nn::StaticNetImpl&, const torch::Tensor&, const torch::Tensor&) {
  unavailable();
}

}  // namespace sparsenas::exporter
