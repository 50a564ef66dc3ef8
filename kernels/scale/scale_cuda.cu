// CUDA scale: one grid-stride elementwise kernel, alpha applied in fp32
// whatever the storage dtype; the twin of scale_cpu.cpp.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/scale/scale.h"

namespace xlm {

namespace {

template <typename T>
__global__ void scale_kernel(const T* x, T* y, float alpha, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = store_float<T>(alpha * load_float(x[i]));
}

}  // namespace

void scale_forward_cuda(const Tensor& x, double alpha, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "scale", [&](auto tag) {
    using T = decltype(tag);
    scale_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(x.data_ptr()),
                                                                 static_cast<T*>(y.data_ptr()),
                                                                 static_cast<float>(alpha), n);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
