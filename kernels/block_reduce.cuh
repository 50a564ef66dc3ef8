// Block-wide reductions shared by the row-wise CUDA kernels (layer_norm,
// masked_softmax, cross_entropy): one block owns one row, every thread
// accumulates a strided slice in fp32, then warps reduce with shuffles and
// the warp results go through 32 floats of shared memory. The order of
// additions is fixed by the launch shape, so results are deterministic.
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include <cuda_runtime.h>

#include <math.h>

namespace xlm {

// T: float for the row-wise kernels, double where squares may overflow fp32
// (the gradient norm, nn/sum_squares.cuh).
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Every thread of the block receives the sum. blockDim.x must be a multiple of
// 32 (at most 1024) and every thread must call it; `scratch` is __shared__ T[32].
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // a previous call may still be reading scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_sum(lane < warps ? scratch[lane] : T(0));
}

// As block_sum, for the maximum (-inf for an empty block).
__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_max(lane < warps ? scratch[lane] : -INFINITY);
}

// Threads for a block that owns a row of n elements: a multiple of 32 in [32, 256].
inline int row_block_threads(long long n) {
  long long t = (n + 31) / 32 * 32;
  if (t < 32) t = 32;
  if (t > 256) t = 256;
  return static_cast<int>(t);
}

// Blocks for one-block-per-row kernels; they loop `row += gridDim.x` beyond this.
inline unsigned row_blocks(long long rows) {
  if (rows < 1) return 1;
  return static_cast<unsigned>(rows < 65535LL * 32 ? rows : 65535LL * 32);
}

}  // namespace xlm
