#pragma once
// Thread counts of the CPU back ends (LibTorch's intra-op pool and the system BLAS).

namespace sparsenas::nn {

/// Sets LibTorch's intra-op thread count (it starts at 1 on this kind of machine) and pins
/// OpenBLAS to one thread: our only BLAS calls are tiny matmuls (kernel transforms), and a
/// pthread OpenBLAS beside LibTorch's OpenMP pool oversubscribes the cores (measured: +35% on
/// the forward pass of the smallest network).
void configure_cpu_threads(int threads);

}  // namespace sparsenas::nn
