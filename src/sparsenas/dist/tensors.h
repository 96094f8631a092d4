#pragma once
// Tensor collectives over dist::world (see world.h). CPU tensors only: this LibTorch has no NCCL
// (USE_CUDA off), so the process group is Gloo; tensors elsewhere are refused with an error.

#include <torch/types.h>

#include <vector>

namespace sparsenas::dist {

/// Sums `tensor` over the ranks, in place (contiguous float or double CPU tensor).
void all_reduce_sum_(torch::Tensor& tensor);

/// Sums the tensors over the ranks, in place, with ONE collective: they are packed into one flat
/// float buffer, reduced, and copied back (e.g. every gradient of a step).
void all_reduce_sum_(const std::vector<torch::Tensor>& tensors);

/// The sum of `tensor` over the ranks, differentiable: the gradient of a rank's input is the sum
/// over the ranks of the gradients of the output (synchronised batch-norm statistics). Every rank
/// must call it, and run backward, in the same order.
torch::Tensor all_reduce_sum_autograd(const torch::Tensor& tensor);

/// Makes every rank's tensors equal to rank 0's, in place (one collective).
void broadcast_from_main_(const std::vector<torch::Tensor>& tensors);

}  // namespace sparsenas::dist
