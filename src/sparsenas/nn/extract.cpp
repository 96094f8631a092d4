// SupernetImpl::extract (declared in supernet.h): copies the active slices of a supernet into a
// plain StaticNet. Kept apart from supernet.cpp because it is the one bridge between the two
// networks: the supernet itself does not depend on StaticNet, and this file is where the slicing
// rules of every elastic layer have to agree with StaticNet's layer shapes.
#include "sparsenas/nn/supernet.h"

#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/static_net.h"

namespace sparsenas::nn {

namespace {
void copy_bn(torch::nn::BatchNorm2d& to, const DynamicBatchNorm& from) {
  const int64_t c = to->weight.size(0);
  to->weight.copy_(from->bn->weight.narrow(0, 0, c));
  to->bias.copy_(from->bn->bias.narrow(0, 0, c));
  to->running_mean.copy_(from->bn->running_mean.narrow(0, 0, c));
  to->running_var.copy_(from->bn->running_var.narrow(0, 0, c));
}
}  // namespace

std::shared_ptr<StaticNetImpl> SupernetImpl::extract(const space::Arch& arch) const {
  space_.validate(arch);
  auto net = std::make_shared<StaticNetImpl>(space_, arch);
  torch::NoGradGuard no_grad;
  net->to(stem_weight.device());
  net->stem->weight.copy_(stem_weight);
  copy_bn(net->stem_bn, stem_bn);
  net->first_dw->weight.copy_(first_dw_weight);
  copy_bn(net->first_dw_bn, first_dw_bn);
  net->first_pw->weight.copy_(first_pw_weight);
  copy_bn(net->first_pw_bn, first_pw_bn);
  size_t next = 0;
  for (int slot = 0; slot < space_.num_slots(); ++slot) {
    if (!space_.is_active(arch, slot)) continue;
    const ElasticBlockImpl& from = *blocks[slot];
    StaticBlockImpl& to = *net->blocks[next++];
    const int64_t mid = to.mid;
    to.expand->weight.copy_(from.expand_weight.narrow(0, 0, mid));
    copy_bn(to.expand_bn, from.expand_bn);
    to.dw->weight.copy_(from.depthwise_weight(mid, arch.kernel_sizes[slot]));
    copy_bn(to.dw_bn, from.dw_bn);
    if (to.layout.se) {
      const int64_t se = to.se_mid;
      to.se_reduce->weight.copy_(from.se_reduce_weight.narrow(0, 0, se).narrow(1, 0, mid));
      to.se_reduce->bias.copy_(from.se_reduce_bias.narrow(0, 0, se));
      to.se_expand->weight.copy_(from.se_expand_weight.narrow(0, 0, mid).narrow(1, 0, se));
      to.se_expand->bias.copy_(from.se_expand_bias.narrow(0, 0, mid));
    }
    to.project->weight.copy_(from.project_weight.narrow(1, 0, mid));
    copy_bn(to.project_bn, from.project_bn);
  }
  if (space_.spec().head == "mbv3") {
    net->final_expand->weight.copy_(final_expand_weight);
    copy_bn(net->final_expand_bn, final_expand_bn);
  } else {
    copy_bn(net->feature_mix_bn, feature_mix_bn);
  }
  net->feature_mix->weight.copy_(feature_mix_weight);
  net->classifier->weight.copy_(classifier->weight);
  net->classifier->bias.copy_(classifier->bias);
  if (is_channels_last(stem_weight)) to_channels_last(*net);  // keep the supernet's fast layout
  net->eval();
  return net;
}

}  // namespace sparsenas::nn
