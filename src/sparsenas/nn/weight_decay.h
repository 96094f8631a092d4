#pragma once
// Which parameters of the networks in this library get weight decay.

#include <string>

namespace sparsenas::nn {

/// Names of parameters that get no weight decay: BN parameters and biases (OFA "bn#bias").
/// Holds for the parameter names of both `Supernet` and `StaticNet`.
bool is_no_decay_parameter(const std::string& name);

}  // namespace sparsenas::nn
