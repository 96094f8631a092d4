#pragma once
// Comparing tensors in tests: the largest absolute difference, for tolerances stated per test.

#include <torch/torch.h>

namespace sparsenas::test {

/// max |a - b| over all elements.
inline double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace sparsenas::test
