#pragma once
// Test fixture that seeds LibTorch and pins the thread count, so tests are reproducible.

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace sparsenas::test {

class SeededTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    torch::set_num_threads(1);
  }
};

/// Skips the current test when no CUDA device is present.
#define SNAS_SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA not available"

}  // namespace sparsenas::test
