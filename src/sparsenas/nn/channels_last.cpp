#include "sparsenas/nn/channels_last.h"

namespace sparsenas::nn {

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) {
      p.set_data(p.data().to(p.options(), /*non_blocking=*/false, /*copy=*/true,
                             torch::MemoryFormat::ChannelsLast));
    }
  }
}

}  // namespace sparsenas::nn
