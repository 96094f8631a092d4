#pragma once
// Non-trivial values for the state a freshly built supernet holds at identity or zero.

#include <string>

#include <torch/torch.h>

namespace sparsenas::test {

/// Gives BN running statistics and affine parameters, SE biases, kernel transform matrices and
/// the classifier bias non-trivial values (from torch's global generator), so that comparisons
/// exercise every slice and a wrong argument order or a missed layer shows in the outputs.
inline void randomize_state(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& item : net.named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.1);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
  }
  for (auto& item : net.named_parameters()) {
    const std::string& name = item.key();
    if (name.find("transform") != std::string::npos) item.value().add_(torch::randn_like(item.value()) * 0.05);
    if (name.find("bn.weight") != std::string::npos) item.value().uniform_(0.5, 1.5);
    if (name.find("bn.bias") != std::string::npos || name.find("se_") != std::string::npos) {
      if (item.value().dim() == 1) item.value().normal_(0, 0.1);
    }
    if (name.find("classifier.bias") != std::string::npos) item.value().normal_(0, 0.1);
  }
}

}  // namespace sparsenas::test
