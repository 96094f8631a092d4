#include "sparsenas/nn/elastic_block.h"

#include <algorithm>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/nn/depthwise_conv.h"
#include "sparsenas/nn/functional.h"

namespace sparsenas::nn {

using detail::conv;
using detail::head0;
using detail::head1;
using detail::init_conv;

ElasticBlockImpl::ElasticBlockImpl(const space::SearchSpace& space, int slot, bool kernel_transform)
    : layout(space.blocks()[slot]), space_(&space), slot_(slot) {
  const auto& spec = space.spec();
  const auto& stage = spec.stages[layout.stage];
  max_mid = layout.max_mid;
  const int64_t in = layout.in_channels, out = layout.out_channels, k = layout.stored_kernel;
  expand_weight = register_parameter("expand_weight", torch::empty({max_mid, in, 1, 1}));
  init_conv(expand_weight, max_mid);
  expand_bn = register_module("expand_bn", DynamicBatchNorm(max_mid, spec.bn_eps, spec.bn_momentum));
  dw_weight = register_parameter("dw_weight", torch::empty({max_mid, 1, k, k}));
  init_conv(dw_weight, max_mid);
  if (kernel_transform) {
    // One matrix per step down from the stored kernel through every smaller choice (OFA 7to5, 5to3).
    std::vector<int> sizes = stage.kernels;
    std::sort(sizes.rbegin(), sizes.rend());
    for (int size : sizes) {
      if (size >= k) continue;
      const int from = transform_sizes.empty() ? static_cast<int>(k) : transform_sizes.back();
      transform_sizes.push_back(size);
      transforms.push_back(register_parameter(
          "dw_transform_" + std::to_string(from) + "to" + std::to_string(size), torch::eye(size * size)));
    }
  }
  dw_bn = register_module("dw_bn", DynamicBatchNorm(max_mid, spec.bn_eps, spec.bn_momentum));
  if (layout.se) {
    max_se = space.se_channels(static_cast<int>(max_mid));
    se_reduce_weight = register_parameter("se_reduce_weight", torch::empty({max_se, max_mid, 1, 1}));
    se_reduce_bias = register_parameter("se_reduce_bias", torch::zeros({max_se}));
    se_expand_weight = register_parameter("se_expand_weight", torch::empty({max_mid, max_se, 1, 1}));
    se_expand_bias = register_parameter("se_expand_bias", torch::zeros({max_mid}));
    init_conv(se_reduce_weight, max_se);
    init_conv(se_expand_weight, max_mid);
  }
  project_weight = register_parameter("project_weight", torch::empty({out, max_mid, 1, 1}));
  init_conv(project_weight, out);
  project_bn = register_module("project_bn", DynamicBatchNorm(out, spec.bn_eps, spec.bn_momentum));
  set_active(static_cast<int>(k), 0);
}

void ElasticBlockImpl::set_active(int kernel_size, int expand_ratio) {
  active_kernel = kernel_size;
  active_expand = expand_ratio;
  active_mid = expand_ratio > 0 ? space_->mid_channels(slot_, expand_ratio) : max_mid;
  SNAS_INTERNAL_ASSERT(active_mid <= max_mid && kernel_size <= layout.stored_kernel, "block ", slot_,
                       " cannot run k=", kernel_size, " e=", expand_ratio);
}

torch::Tensor ElasticBlockImpl::depthwise_weight(int64_t mid, int kernel_size) const {
  torch::Tensor w = head0(dw_weight, mid);
  const int64_t stored = dw_weight.size(2);
  if (kernel_size == stored) return w;
  if (transforms.empty()) {  // CompOFA: a plain centre crop
    const int64_t start = (stored - kernel_size) / 2;
    return w.narrow(2, start, kernel_size).narrow(3, start, kernel_size);
  }
  int64_t current = stored;
  for (size_t i = 0; i < transforms.size(); ++i) {
    const int64_t size = transform_sizes[i];
    const int64_t start = (current - size) / 2;
    w = w.narrow(2, start, size).narrow(3, start, size).reshape({mid, size * size});
    w = torch::matmul(w, transforms[i].t()).view({mid, 1, size, size});  // F.linear(v, M) = v M^T
    current = size;
    if (size == kernel_size) return w;
  }
  SNAS_INTERNAL_ASSERT(false, "kernel size ", kernel_size, " has no transform chain in block ", slot_);
}

torch::Tensor ElasticBlockImpl::forward(const torch::Tensor& x) {
  const int64_t mid = active_mid;
  torch::Tensor h = conv(x, head0(expand_weight, mid));
  h = activate(expand_bn(h), layout.act);
  h = depthwise_conv2d(h, depthwise_weight(mid, active_kernel), layout.stride);
  h = activate(dw_bn(h), layout.act);
  if (layout.se) {
    const int64_t se = space_->se_channels(static_cast<int>(mid));
    torch::Tensor s = h.mean({2, 3}, /*keepdim=*/true);
    s = torch::relu(conv(s, head1(head0(se_reduce_weight, se), mid), 1, 1, head0(se_reduce_bias, se)));
    s = torch::hardsigmoid(conv(s, head1(head0(se_expand_weight, mid), se), 1, 1, head0(se_expand_bias, mid)));
    h = h * s;
  }
  h = project_bn(conv(h, head1(project_weight, mid)));
  if (layout.residual) h = h + x;
  return h;
}

void ElasticBlockImpl::reorganize_channels(const std::vector<int>& expand_choices, int expand_stage) {
  torch::NoGradGuard no_grad;
  // Importance of middle channel j: L1 norm of the projection weights reading it.
  torch::Tensor importance = project_weight.abs().sum({0, 2, 3});
  if (expand_stage > 0) {
    // Keep the nesting of earlier phases: channels may only move inside their segment
    // (OFA: target widths of the expand list sorted descending, large negative offsets per
    // segment). As OFA's `for i in range(expand_ratio_stage + 1)`, only the boundaries at the
    // 2nd..(expand_stage+1)-th largest widths are kept: with [3,4,6], stage 1 (OFA's expand phase
    // 2) keeps the e=4 prefix, stage 2 also the e=3 prefix (OFA's schedule never calls stage 2).
    std::vector<int> ratios = expand_choices;
    std::sort(ratios.rbegin(), ratios.rend());
    std::vector<int64_t> widths;
    for (int e : ratios) widths.push_back(space_->mid_channels(slot_, e));
    const size_t kept = std::min(widths.size(), static_cast<size_t>(expand_stage) + 1);
    for (size_t i = 1; i < kept; ++i) {
      importance.narrow(0, widths[i], importance.size(0) - widths[i]).sub_(1e5);
    }
  }
  const torch::Tensor order = std::get<1>(torch::sort(importance, /*dim=*/0, /*descending=*/true));
  auto permute0 = [&](torch::Tensor& t) { t.set_data(t.data().index_select(0, order).contiguous(t.suggest_memory_format())); };
  auto permute1 = [&](torch::Tensor& t) { t.set_data(t.data().index_select(1, order).contiguous(t.suggest_memory_format())); };
  auto permute_bn = [&](DynamicBatchNorm& b) {
    permute0(b->bn->weight);
    permute0(b->bn->bias);
    permute0(b->bn->running_mean);
    permute0(b->bn->running_var);
  };
  permute1(project_weight);
  permute0(dw_weight);
  permute_bn(dw_bn);
  permute0(expand_weight);
  permute_bn(expand_bn);
  if (layout.se) {
    permute0(se_expand_weight);
    permute0(se_expand_bias);
    permute1(se_reduce_weight);
    // SE hidden units: sorted by the L1 norm of the expand weights reading them.
    const torch::Tensor se_order =
        std::get<1>(torch::sort(se_expand_weight.abs().sum({0, 2, 3}), 0, /*descending=*/true));
    se_expand_weight.set_data(se_expand_weight.data().index_select(1, se_order).contiguous(se_expand_weight.suggest_memory_format()));
    se_reduce_weight.set_data(se_reduce_weight.data().index_select(0, se_order).contiguous(se_reduce_weight.suggest_memory_format()));
    se_reduce_bias.set_data(se_reduce_bias.data().index_select(0, se_order));
  }
}

}  // namespace sparsenas::nn
