// CUDA ReLU: one grid-stride elementwise kernel each way. The comparison is
// done on the fp32 value whatever the storage dtype, so the mask is the same
// as the CPU reference's on the same (rounded) inputs.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/relu/relu.h"

namespace xlm {

namespace {

template <typename T>
__global__ void relu_forward_kernel(const T* x, T* y, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = load_float(x[i]);
    y[i] = store_float<T>(v > 0.0f ? v : 0.0f);
  }
}

template <typename T>
__global__ void relu_backward_kernel(const T* x, const T* gy, T* gx, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    gx[i] = store_float<T>(load_float(x[i]) > 0.0f ? load_float(gy[i]) : 0.0f);
}

}  // namespace

void relu_forward_cuda(const Tensor& x, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "relu", [&](auto tag) {
    using T = decltype(tag);
    relu_forward_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(x.data_ptr()),
                                                                        static_cast<T*>(y.data_ptr()), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void relu_backward_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_x) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "relu_backward", [&](auto tag) {
    using T = decltype(tag);
    relu_backward_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(grad_y.data_ptr()),
        static_cast<T*>(grad_x.data_ptr()), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
