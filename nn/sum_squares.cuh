// The first level of the deterministic sum of squares shared by gradient
// clipping (nn/grad_clip_cuda.cu) and ZeRO-1's per-group norms
// (tasks/pretrain/zero1_clip_cuda.cu): one kernel, so both reduce in the same
// order. Each block of a grid-stride pass sums its elements' squares in
// double and writes one partial; the callers add the partials in double.
// Double, not fp32: one bf16 or fp32 gradient of magnitude 1.9e19 (a
// diverging run, exactly when clipping matters) squares past fp32's range,
// and an infinite norm means "do not clip" (nn/grad_clip.h) where the CPU
// twin, squaring in double, clips. Every square of a bf16/f16 value is
// exact in double, and the pass is bound by memory, not arithmetic.
#pragma once

#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"

namespace xlm::nn {

// x (n,) -> partials (gridDim.x,) f64: partials[b] = sum over block b's elements of x^2.
template <typename T>
__global__ void sum_squares_kernel(const T* x, long long n, double* partials) {
  __shared__ double scratch[32];
  double acc = 0.0;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const double v = load_float(x[i]);  // exact widening
    acc += v * v;
  }
  const double total = block_sum(acc, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

}  // namespace xlm::nn
