// CUDA twin of core/grad_accumulate.cpp: elementwise sum in fp32, stored in
// the gradients' dtype.
#include "core/autograd.h"
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"

namespace xlm::autograd {

namespace {
template <typename T>
__global__ void add_kernel(const T* a, const T* b, T* out, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    out[i] = store_float<T>(load_float(a[i]) + load_float(b[i]));
}
}  // namespace

Tensor add_same_shape_cuda(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  CudaContext& ctx = CudaContext::get(a.device().index);
  const long long n = a.numel();
  if (n == 0) return out;
  XLM_DISPATCH_CUDA_FLOAT(a.dtype(), "gradient accumulation", [&](auto tag) {
    using T = decltype(tag);
    add_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(a.data_ptr()),
                                                               static_cast<const T*>(b.data_ptr()),
                                                               static_cast<T*>(out.data_ptr()), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
  return out;
}

}  // namespace xlm::autograd
