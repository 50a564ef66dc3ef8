// CUDA length_mask: a grid-stride loop over the B*T mask elements, each
// reading its row's length (cached in L1 across the row) and comparing.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/length_mask/length_mask.h"

namespace xlm {

namespace {

template <typename T, typename I>
__global__ void length_mask_kernel(const I* lengths, long long start, T* keep, long long B, long long T_len) {
  const long long total = B * T_len;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const long long b = i / T_len, t = i - b * T_len;
    keep[i] = store_float<T>(start + t < static_cast<long long>(lengths[b]) ? 1.0f : 0.0f);
  }
}

}  // namespace

void length_mask_forward_cuda(const Tensor& lengths, int64_t start, Tensor& keep) {
  const long long B = keep.size(0), T_len = keep.size(1);
  CudaContext& ctx = CudaContext::get(keep.device().index);
  XLM_DISPATCH_CUDA_FLOAT(keep.dtype(), "length_mask", [&](auto tag) {
    using T = decltype(tag);
    T* k = static_cast<T*>(keep.data_ptr());  // (B, T)
    if (lengths.dtype() == DType::i32)
      length_mask_kernel<T><<<blocks_for(B * T_len), kThreads, 0, ctx.stream>>>(lengths.data<int32_t>(), start, k, B,
                                                                              T_len);
    else
      length_mask_kernel<T><<<blocks_for(B * T_len), kThreads, 0, ctx.stream>>>(lengths.data<int64_t>(), start, k, B,
                                                                              T_len);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
