#pragma once
// The SGD optimizer of supernet training: a weight-decay group and a no-decay group (OFA).

#include <torch/nn/module.h>
#include <torch/optim/sgd.h>

#include <memory>
#include <string>
#include <vector>

#include "sparsenas/train/train_config.h"

namespace sparsenas::train {

/// The trainable parameters of a module split by weight decay.
struct ParameterGroups {
  std::vector<torch::Tensor> decay;         ///< get `weight_decay`
  std::vector<std::string> decay_names;     ///< names parallel to `decay`
  std::vector<torch::Tensor> no_decay;      ///< get no weight decay
  std::vector<std::string> no_decay_names;  ///< names parallel to `no_decay`
};

/// Splits the parameters that require a gradient: with `no_decay_bn_bias`, names for which
/// nn::is_no_decay_parameter is true (BN parameters, biases) go to `no_decay`; everything else
/// (and everything when the flag is off) goes to `decay`. Order is `named_parameters()` order.
ParameterGroups split_parameters(const torch::nn::Module& module, bool no_decay_bn_bias);

/// SGD (momentum, Nesterov, lr from `config`) with exactly two parameter groups, in this order:
/// group 0 = decay (weight_decay = config.weight_decay), group 1 = no-decay (weight_decay 0; may
/// be empty). The fixed layout keeps optimizer checkpoints loadable across configs.
std::unique_ptr<torch::optim::SGD> build_optimizer(const torch::nn::Module& module,
                                                   const TrainConfig& config);

/// Sets the learning rate of every parameter group of an SGD optimizer.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

/// Gives every SGD momentum buffer the memory layout (strides) and device of its parameter.
/// Checkpoints keep strides, so after a normal resume this changes nothing; it guards bit-exact
/// resume against buffers that come back in another layout (the values would be the same, but
/// elementwise kernels take other code paths on mixed layouts and may round differently).
void match_momentum_layout(torch::optim::Optimizer& optimizer);

/// After loading optimizer state into a fresh network: gives a zero gradient to every parameter
/// that has a momentum buffer. LibTorch 1.13's `zero_grad()` zeroes gradients instead of
/// dropping them, so once a parameter has had a gradient it stays defined and SGD keeps applying
/// momentum and weight decay to it in steps whose sub-networks do not use it (PyTorch 1.x did the
/// same for OFA). A parameter has a momentum buffer exactly when it has had a gradient, so this
/// restores that state and a resumed run continues bit-exactly.
void restore_zeroed_gradients(torch::optim::Optimizer& optimizer);

}  // namespace sparsenas::train
