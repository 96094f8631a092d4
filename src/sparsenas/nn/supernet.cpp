#include "sparsenas/nn/supernet.h"

#include <algorithm>

#include "sparsenas/core/error.h"
#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/depthwise_conv.h"
#include "sparsenas/nn/functional.h"

namespace sparsenas::nn {

using detail::conv;
using detail::init_conv;
namespace F = torch::nn::functional;

SupernetImpl::SupernetImpl(const space::SearchSpace& space, SupernetOptions options)
    : space_(space), options_(options) {
  const auto& spec = space_.spec();
  const int64_t stem = space_.stem_width(), first = space_.first_block_width();
  stem_weight = register_parameter("stem_weight",
                                   torch::empty({stem, spec.in_channels, spec.stem_kernel, spec.stem_kernel}));
  init_conv(stem_weight, stem);
  stem_bn = register_module("stem_bn", DynamicBatchNorm(stem, spec.bn_eps, spec.bn_momentum));
  first_dw_weight = register_parameter("first_dw_weight",
                                       torch::empty({stem, 1, spec.first_block_kernel, spec.first_block_kernel}));
  init_conv(first_dw_weight, stem);
  first_dw_bn = register_module("first_dw_bn", DynamicBatchNorm(stem, spec.bn_eps, spec.bn_momentum));
  first_pw_weight = register_parameter("first_pw_weight", torch::empty({first, stem, 1, 1}));
  init_conv(first_pw_weight, first);
  first_pw_bn = register_module("first_pw_bn", DynamicBatchNorm(first, spec.bn_eps, spec.bn_momentum));
  auto list = register_module("blocks", torch::nn::ModuleList());
  for (int slot = 0; slot < space_.num_slots(); ++slot) {
    blocks.push_back(ElasticBlock(space_, slot, options_.kernel_transform));
    list->push_back(blocks.back());
  }
  const int64_t last = space_.last_stage_width(), mix = space_.feature_mix_width();
  if (spec.head == "mbv3") {
    const int64_t fe = space_.final_expand_width();
    final_expand_weight = register_parameter("final_expand_weight", torch::empty({fe, last, 1, 1}));
    init_conv(final_expand_weight, fe);
    final_expand_bn = register_module("final_expand_bn", DynamicBatchNorm(fe, spec.bn_eps, spec.bn_momentum));
    feature_mix_weight = register_parameter("feature_mix_weight", torch::empty({mix, fe, 1, 1}));
  } else {
    feature_mix_weight = register_parameter("feature_mix_weight", torch::empty({mix, last, 1, 1}));
    feature_mix_bn = register_module("feature_mix_bn", DynamicBatchNorm(mix, spec.bn_eps, spec.bn_momentum));
  }
  init_conv(feature_mix_weight, mix);
  classifier = register_module("classifier", torch::nn::Linear(mix, spec.num_classes));
  set_active(space_.max_arch());
}

void SupernetImpl::set_active(const space::Arch& arch) {
  space_.validate(arch);
  active_ = arch;
  for (int slot = 0; slot < space_.num_slots(); ++slot) {
    blocks[slot]->set_active(arch.kernel_sizes[slot], arch.expand_ratios[slot]);
  }
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& input) {
  const auto& spec = space_.spec();
  torch::Tensor x = input;
  if (is_channels_last(stem_weight)) {
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  x = activate(stem_bn(conv(x, stem_weight, spec.stem_stride)), spec.stem_act);
  {
    torch::Tensor h = activate(first_dw_bn(depthwise_conv2d(x, first_dw_weight, 1)),
                               spec.first_block_act);
    h = first_pw_bn(conv(h, first_pw_weight));
    x = (space_.stem_width() == space_.first_block_width()) ? h + x : h;
  }
  for (int slot = 0; slot < space_.num_slots(); ++slot) {
    if (space_.is_active(active_, slot)) x = blocks[slot]->forward(x);
  }
  if (spec.head == "mbv3") {
    x = activate(final_expand_bn(conv(x, final_expand_weight)), spec.head_act);
    x = x.mean({2, 3}, /*keepdim=*/true);
    x = activate(conv(x, feature_mix_weight), spec.head_act);
  } else {
    x = activate(feature_mix_bn(conv(x, feature_mix_weight)), spec.head_act);
    x = x.mean({2, 3}, /*keepdim=*/true);
  }
  x = x.flatten(1);
  if (spec.dropout > 0 && is_training() && shard_global_ > 0) {
    // ATen's CPU dropout: a Bernoulli(1 - p) mask of the input's shape, scaled by 1 / (1 - p);
    // drawn here for the global batch, of which this input is a shard.
    torch::Tensor noise = torch::empty({shard_global_, x.size(1)}, x.options()).bernoulli_(1 - spec.dropout);
    noise.div_(1 - spec.dropout);
    x = x * noise.narrow(0, shard_first_, x.size(0));
  } else if (spec.dropout > 0 && is_training()) {
    x = F::dropout(x, F::DropoutFuncOptions().p(spec.dropout).training(true));
  }
  return classifier(x);
}

std::vector<DynamicBatchNorm> SupernetImpl::all_bns() const {
  std::vector<DynamicBatchNorm> out;
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto bn = std::dynamic_pointer_cast<DynamicBatchNormImpl>(m)) out.emplace_back(bn);
  }
  return out;
}

void SupernetImpl::begin_bn_recalibration() {
  for (auto& bn : all_bns()) bn->begin_recalibration();
}

void SupernetImpl::end_bn_recalibration() {
  for (auto& bn : all_bns()) bn->end_recalibration();
}

void SupernetImpl::reorganize_channels(int expand_stage) {
  for (auto& block : blocks) {
    const auto& stage = space_.spec().stages[block->layout.stage];
    std::vector<int> choices = stage.expands;
    choices.insert(choices.end(), stage.coupled_expands.begin(), stage.coupled_expands.end());
    std::sort(choices.begin(), choices.end());
    choices.erase(std::unique(choices.begin(), choices.end()), choices.end());
    block->reorganize_channels(choices, expand_stage);
  }
}

void SupernetImpl::copy_weights_from(const SupernetImpl& other) {
  torch::NoGradGuard no_grad;
  const auto source = other.named_parameters();
  for (auto& item : named_parameters()) {
    const torch::Tensor* from = source.find(item.key());
    SNAS_CHECK(from != nullptr, "cannot copy weights: parameter ", item.key(), " is missing in the source");
    SNAS_CHECK(from->sizes() == item.value().sizes(), "cannot copy weights: parameter ", item.key(),
               " has shape ", from->sizes(), " in the source, expected ", item.value().sizes());
    item.value().copy_(*from);
  }
  const auto source_buffers = other.named_buffers();
  for (auto& item : named_buffers()) {
    if (const torch::Tensor* from = source_buffers.find(item.key())) item.value().copy_(*from);
  }
}

}  // namespace sparsenas::nn
