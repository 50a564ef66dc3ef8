// CUDA mul: one grid-stride elementwise kernel, fp32 math, b indexed modulo
// its size; the twin of mul_cpu.cpp. The backward reuses this kernel and
// add's column reduction (see mul.cpp).
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/mul/mul.h"

namespace xlm {

namespace {

template <typename T>
__global__ void mul_kernel(const T* a, const T* b, T* out, long long n, long long nb) {
  // b[i] directly when the shapes match: no 64-bit modulo on the common path.
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    out[i] = store_float<T>(load_float(a[i]) * load_float(b[nb == n ? i : i % nb]));
}

}  // namespace

void mul_forward_cuda(const Tensor& a, const Tensor& b, Tensor& out) {
  const long long n = a.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(a.device().index);
  XLM_DISPATCH_CUDA_FLOAT(a.dtype(), "mul", [&](auto tag) {
    using T = decltype(tag);
    mul_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(a.data_ptr()),
                                                               static_cast<const T*>(b.data_ptr()),
                                                               static_cast<T*>(out.data_ptr()), n, b.numel());
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
