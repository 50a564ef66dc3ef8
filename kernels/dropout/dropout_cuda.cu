// CUDA dropout draws with cuRAND's own Philox4_32_10 (the well-kept
// mechanism); core/philox.h is its bit-identical CPU twin. Thread k owns
// elements 4k..4k+3: curand_init(seed, 0, offset + 4k) positions the stream
// at element 4k and curand_uniform4 returns the uniforms for the next four
// positions, whatever offset % 4 is. A grid-stride loop covers any size; the
// last group may be partial.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/dropout/dropout.h"

#include <curand_kernel.h>

namespace xlm {

namespace {

// Uniforms (0, 1] for positions offset + 4k .. offset + 4k + 3.
__device__ __forceinline__ float4 uniforms_for_group(unsigned long long seed, unsigned long long offset,
                                                     long long k) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, 0ULL, offset + 4ULL * static_cast<unsigned long long>(k), &state);
  return curand_uniform4(&state);
}

template <typename T>
__global__ void dropout_forward_kernel(const T* x, T* y, long long n, float threshold, float scale,
                                       unsigned long long seed, unsigned long long offset) {
  const long long groups = (n + 3) / 4;
  for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < groups; k += (long long)gridDim.x * blockDim.x) {
    const float4 u4 = uniforms_for_group(seed, offset, k);
    const float u[4] = {u4.x, u4.y, u4.z, u4.w};
    for (int j = 0; j < 4; ++j) {
      const long long i = 4 * k + j;
      if (i < n) y[i] = store_float<T>(u[j] > threshold ? load_float(x[i]) * scale : 0.0f);
    }
  }
}

__global__ void dropout_mask_kernel(unsigned char* mask, long long n, float threshold, unsigned long long seed,
                                    unsigned long long offset) {
  const long long groups = (n + 3) / 4;
  for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < groups; k += (long long)gridDim.x * blockDim.x) {
    const float4 u4 = uniforms_for_group(seed, offset, k);
    const float u[4] = {u4.x, u4.y, u4.z, u4.w};
    for (int j = 0; j < 4; ++j) {
      const long long i = 4 * k + j;
      if (i < n) mask[i] = u[j] > threshold ? 1 : 0;
    }
  }
}

}  // namespace

void dropout_forward_cuda(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    dropout_forward_kernel<T><<<blocks_for((n + 3) / 4), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<T*>(y.data_ptr()), n, threshold, static_cast<float>(scale),
        seed, offset);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void dropout_mask_cuda(float threshold, uint64_t seed, uint64_t offset, Tensor& mask) {
  const long long n = mask.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(mask.device().index);
  dropout_mask_kernel<<<blocks_for((n + 3) / 4), kThreads, 0, ctx.stream>>>(mask.data<uint8_t>(), n, threshold, seed,
                                                                             offset);
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace xlm
