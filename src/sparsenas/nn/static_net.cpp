#include "sparsenas/nn/static_net.h"

#include "sparsenas/core/error.h"
#include "sparsenas/nn/channels_last.h"
#include "sparsenas/nn/depthwise_conv.h"
#include "sparsenas/nn/functional.h"

namespace sparsenas::nn {

namespace {

torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1,
                            bool bias = false) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(bias));
}

torch::nn::BatchNorm2d make_bn(int64_t c, const space::SpaceSpec& spec) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(spec.bn_eps).momentum(spec.bn_momentum));
}

torch::Tensor run(torch::nn::Conv2d& layer, const torch::Tensor& x, const LayerObserver* observer) {
  torch::Tensor y = layer->forward(x);
  if (observer) (*observer)(layer->weight, y);
  return y;
}

// A depthwise Conv2d layer (groups == channels, "same" padding) through depthwise_conv2d: the
// same function as layer->forward, on the fastest path for the shape.
torch::Tensor run_depthwise(torch::nn::Conv2d& layer, const torch::Tensor& x, const LayerObserver* observer) {
  torch::Tensor y = depthwise_conv2d(x, layer->weight, layer->options.stride()->at(0));
  if (observer) (*observer)(layer->weight, y);
  return y;
}

}  // namespace

StaticBlockImpl::StaticBlockImpl(const space::SearchSpace& space, int slot, int kernel_size, int expand_ratio)
    : layout(space.blocks()[slot]) {
  const auto& spec = space.spec();
  mid = space.mid_channels(slot, expand_ratio);
  const int64_t in = layout.in_channels, out = layout.out_channels;
  expand = register_module("expand", make_conv(in, mid, 1));
  expand_bn = register_module("expand_bn", make_bn(mid, spec));
  dw = register_module("dw", make_conv(mid, mid, kernel_size, layout.stride, mid));
  dw_bn = register_module("dw_bn", make_bn(mid, spec));
  if (layout.se) {
    se_mid = space.se_channels(static_cast<int>(mid));
    se_reduce = register_module("se_reduce", make_conv(mid, se_mid, 1, 1, 1, /*bias=*/true));
    se_expand = register_module("se_expand", make_conv(se_mid, mid, 1, 1, 1, /*bias=*/true));
  }
  project = register_module("project", make_conv(mid, out, 1));
  project_bn = register_module("project_bn", make_bn(out, spec));
}

torch::Tensor StaticBlockImpl::forward(const torch::Tensor& x, const LayerObserver* observer) {
  torch::Tensor h = activate(expand_bn(run(expand, x, observer)), layout.act);
  h = activate(dw_bn(run_depthwise(dw, h, observer)), layout.act);
  if (layout.se) {
    torch::Tensor s = torch::adaptive_avg_pool2d(h, {1, 1});
    s = torch::relu(run(se_reduce, s, observer));
    s = torch::hardsigmoid(run(se_expand, s, observer));
    h = h * s;
  }
  h = project_bn(run(project, h, observer));
  return layout.residual ? h + x : h;
}

StaticNetImpl::StaticNetImpl(const space::SearchSpace& space, const space::Arch& arch_in)
    : arch(space.canonical(arch_in)), spec(space.spec()) {
  const int64_t stem_w = space.stem_width(), first_w = space.first_block_width();
  stem = register_module("stem", make_conv(spec.in_channels, stem_w, spec.stem_kernel, spec.stem_stride));
  stem_bn = register_module("stem_bn", make_bn(stem_w, spec));
  first_dw = register_module("first_dw", make_conv(stem_w, stem_w, spec.first_block_kernel, 1, stem_w));
  first_dw_bn = register_module("first_dw_bn", make_bn(stem_w, spec));
  first_pw = register_module("first_pw", make_conv(stem_w, first_w, 1));
  first_pw_bn = register_module("first_pw_bn", make_bn(first_w, spec));
  first_residual = stem_w == first_w;
  auto list = register_module("blocks", torch::nn::ModuleList());
  for (int slot = 0; slot < space.num_slots(); ++slot) {
    if (!space.is_active(arch, slot)) continue;
    blocks.push_back(StaticBlock(space, slot, arch.kernel_sizes[slot], arch.expand_ratios[slot]));
    list->push_back(blocks.back());
  }
  const int64_t last = space.last_stage_width(), mix = space.feature_mix_width();
  if (spec.head == "mbv3") {
    final_expand = register_module("final_expand", make_conv(last, space.final_expand_width(), 1));
    final_expand_bn = register_module("final_expand_bn", make_bn(space.final_expand_width(), spec));
    feature_mix = register_module("feature_mix", make_conv(space.final_expand_width(), mix, 1));
  } else {
    feature_mix = register_module("feature_mix", make_conv(last, mix, 1));
    feature_mix_bn = register_module("feature_mix_bn", make_bn(mix, spec));
  }
  dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  classifier = register_module("classifier", torch::nn::Linear(mix, spec.num_classes));
}

torch::Tensor StaticNetImpl::forward(const torch::Tensor& input, const LayerObserver* observer) {
  torch::Tensor x = input;
  if (is_channels_last(stem->weight)) {
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  x = activate(stem_bn(run(stem, x, observer)), spec.stem_act);
  torch::Tensor h = activate(first_dw_bn(run_depthwise(first_dw, x, observer)), spec.first_block_act);
  h = first_pw_bn(run(first_pw, h, observer));
  x = first_residual ? h + x : h;
  for (auto& block : blocks) x = block->forward(x, observer);
  if (spec.head == "mbv3") {
    x = activate(final_expand_bn(run(final_expand, x, observer)), spec.head_act);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    x = activate(run(feature_mix, x, observer), spec.head_act);
  } else {
    x = activate(feature_mix_bn(run(feature_mix, x, observer)), spec.head_act);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
  }
  x = dropout(x.flatten(1));
  torch::Tensor logits = classifier(x);
  if (observer) (*observer)(classifier->weight, logits);
  return logits;
}

int64_t StaticNetImpl::count_macs(int64_t height, int64_t width) {
  int64_t total = 0;
  const LayerObserver observer = [&total](const torch::Tensor& weight, const torch::Tensor& output) {
    // Conv weight [out, in/groups, kh, kw]: out * in/groups * kh * kw MACs per output pixel.
    // Linear weight [out, in]: out * in MACs per image.
    const int64_t pixels = output.dim() == 4 ? output.size(2) * output.size(3) : 1;
    total += weight.numel() * pixels;
  };
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  forward(torch::zeros({1, spec.in_channels, height, width}), &observer);
  train(was_training);
  return total;
}

}  // namespace sparsenas::nn
