// AVX-512 (F, BW, VL, DQ) build of the depthwise kernels; compile flags in src/sparsenas/nn/CMakeLists.txt.
#define SNAS_DW_KERNELS_NAME depthwise_kernels_avx512
#include "sparsenas/nn/depthwise_kernels.inc"
