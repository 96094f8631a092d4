#pragma once
// The input normalisation an exported model carries inside its graph (TorchScript and ONNX alike).

#include <cstdint>
#include <vector>

namespace sparsenas::exporter {

/// `values` (a mean or a std: one per input channel, or one for all) checked and expanded to
/// `channels` finite values; errors name `field`, the expected and the actual count or value.
std::vector<double> per_channel(const std::vector<float>& values, const char* field, int64_t channels);

}  // namespace sparsenas::exporter
