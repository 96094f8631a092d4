#include "sparsenas/train/optimizer.h"

#include "sparsenas/core/error.h"
#include "sparsenas/nn/supernet.h"

namespace sparsenas::train {

ParameterGroups split_parameters(const torch::nn::Module& module, bool no_decay_bn_bias) {
  ParameterGroups groups;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    if (no_decay_bn_bias && nn::is_no_decay_parameter(item.key())) {
      groups.no_decay.push_back(item.value());
      groups.no_decay_names.push_back(item.key());
    } else {
      groups.decay.push_back(item.value());
      groups.decay_names.push_back(item.key());
    }
  }
  return groups;
}

std::unique_ptr<torch::optim::SGD> build_optimizer(const torch::nn::Module& module,
                                                   const TrainConfig& config) {
  ParameterGroups groups = split_parameters(module, config.no_decay_bn_bias);
  SNAS_CHECK(!groups.decay.empty() || !groups.no_decay.empty(),
             "build_optimizer: the module has no trainable parameters");
  const auto options = [&](double weight_decay) {
    return torch::optim::SGDOptions(config.lr)
        .momentum(config.momentum)
        .nesterov(config.nesterov)
        .dampening(0.0)
        .weight_decay(weight_decay);
  };
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  param_groups.emplace_back(std::move(groups.decay), std::make_unique<torch::optim::SGDOptions>(
                                                         options(config.weight_decay)));
  param_groups.emplace_back(std::move(groups.no_decay),
                            std::make_unique<torch::optim::SGDOptions>(options(0.0)));
  return std::make_unique<torch::optim::SGD>(std::move(param_groups), options(config.weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    auto* options = dynamic_cast<torch::optim::SGDOptions*>(&group.options());
    SNAS_INTERNAL_ASSERT(options != nullptr, "set_learning_rate expects an SGD optimizer");
    options->lr(lr);
  }
}

void match_momentum_layout(torch::optim::Optimizer& optimizer) {
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    for (auto& param : group.params()) {
      auto it = optimizer.state().find(c10::guts::to_string(param.unsafeGetTensorImpl()));
      if (it == optimizer.state().end()) continue;
      auto* state = dynamic_cast<torch::optim::SGDParamState*>(it->second.get());
      if (state == nullptr || !state->momentum_buffer().defined()) continue;
      const torch::Tensor& buffer = state->momentum_buffer();
      SNAS_CHECK(buffer.sizes() == param.sizes(), "optimizer state: momentum buffer of shape ",
                 buffer.sizes(), " does not match its parameter of shape ", param.sizes());
      if (buffer.strides() == param.strides() && buffer.device() == param.device()) continue;
      torch::Tensor restrided = torch::empty_like(param);  // preserve_format: param's strides
      restrided.copy_(buffer);
      state->momentum_buffer(restrided);
    }
  }
}

void restore_zeroed_gradients(torch::optim::Optimizer& optimizer) {
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    for (auto& param : group.params()) {
      if (param.grad().defined()) continue;
      auto it = optimizer.state().find(c10::guts::to_string(param.unsafeGetTensorImpl()));
      if (it == optimizer.state().end()) continue;
      auto* state = dynamic_cast<torch::optim::SGDParamState*>(it->second.get());
      if (state == nullptr || !state->momentum_buffer().defined()) continue;
      param.mutable_grad() = torch::zeros_like(param);
    }
  }
}

}  // namespace sparsenas::train
