// The first level of the deterministic sum of squares shared by gradient
// clipping (nn/grad_clip_cuda.cu) and ZeRO-1's per-group norms
// (tasks/pretrain/zero1_clip_cuda.cu): one kernel, so both reduce in the same
// order. Each block of a grid-stride pass sums its elements' squares in fp32
// and writes one partial; the callers add the partials in double.
#pragma once

#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"

namespace xlm::nn {

// x (n,) -> partials (gridDim.x,): partials[b] = sum over block b's elements of x^2.
template <typename T>
__global__ void sum_squares_kernel(const T* x, long long n, float* partials) {
  __shared__ float scratch[32];
  float acc = 0.0f;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = load_float(x[i]);
    acc += v * v;
  }
  const float total = block_sum(acc, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

}  // namespace xlm::nn
