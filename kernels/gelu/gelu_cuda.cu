// CUDA GELU: one grid-stride elementwise kernel each way, fp32 math with
// erff/expf whatever the storage dtype. The kernels issue fuses this with the
// bias add; this is the straightforward twin of gelu_cpu.cpp.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/gelu/gelu.h"

namespace xlm {

namespace {

template <typename T>
__global__ void gelu_forward_kernel(const T* x, T* y, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = load_float(x[i]);
    y[i] = store_float<T>(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
  }
}

template <typename T>
__global__ void gelu_backward_kernel(const T* x, const T* gy, T* gx, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = load_float(x[i]);
    const float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * v * v);
    gx[i] = store_float<T>(load_float(gy[i]) * (cdf + v * pdf));
  }
}

}  // namespace

void gelu_forward_cuda(const Tensor& x, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "gelu", [&](auto tag) {
    using T = decltype(tag);
    gelu_forward_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(x.data_ptr()),
                                                                        static_cast<T*>(y.data_ptr()), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void gelu_backward_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_x) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    gelu_backward_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(grad_y.data_ptr()),
        static_cast<T*>(grad_x.data_ptr()), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
