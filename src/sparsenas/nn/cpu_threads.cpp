#include "sparsenas/nn/cpu_threads.h"

#include <dlfcn.h>

#include <torch/torch.h>

namespace sparsenas::nn {

void configure_cpu_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up at run time: the BLAS behind libblas.so.3 is chosen by Debian's alternatives.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

}  // namespace sparsenas::nn
