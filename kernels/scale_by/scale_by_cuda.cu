// CUDA scale_by: a grid-stride elementwise kernel in which every thread reads
// the factor from device memory (one cached load), so nothing is copied to the
// host and the launch can be queued behind the kernel that computes the
// factor. fp32 math whatever the storage dtype; the twin of scale_by_cpu.cpp.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/scale_by/scale_by.h"

namespace xlm {

namespace {

__device__ __forceinline__ float factor_value(const double* f) { return static_cast<float>(*f); }
template <typename F>
__device__ __forceinline__ float factor_value(const F* f) {
  return load_float(*f);
}

template <typename T, typename F>
__global__ void scale_by_kernel(const T* x, T* y, const F* factor, long long n) {
  const float a = factor_value(factor);
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = store_float<T>(load_float(x[i]) * a);
}

template <typename F>
void launch(const Tensor& x, const F* factor, Tensor& y, long long n, cudaStream_t stream) {
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "scale_by", [&](auto tag) {
    using T = decltype(tag);
    scale_by_kernel<T, F><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x.data_ptr()),
                                                                   static_cast<T*>(y.data_ptr()), factor, n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void scale_by_forward_cuda(const Tensor& x, const Tensor& factor, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  if (factor.dtype() == DType::f64) {
    launch(x, static_cast<const double*>(factor.data_ptr()), y, n, ctx.stream);
    return;
  }
  XLM_DISPATCH_CUDA_FLOAT(factor.dtype(), "scale_by (factor)", [&](auto tag) {
    using F = decltype(tag);
    launch(x, static_cast<const F*>(factor.data_ptr()), y, n, ctx.stream);
  });
}

}  // namespace xlm
