// CUDA embedding: forward is a grid-stride copy over the n*C output elements;
// backward scatters with atomicAdd. f32 gradients add straight into the
// (zeroed) result; bf16/f16 gradients add into an fp32 scratch table that is
// rounded once at the end, so repeated ids do not lose precision to 16-bit
// partial sums (and no 16-bit atomics are needed). Ids are range-checked here,
// as they are read, not on the host (kernels/index_check.h): a bad id gives a
// zero row forward and no scatter backward, never a read or write outside the
// table, and is recorded in the device error slot that the host raises at its
// next device read.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "core/device_errors.cuh"
#include "core/device_errors_cuda.h"
#include "kernels/embedding/embedding.h"
#include "kernels/index_check.h"

#include <type_traits>

namespace xlm {

namespace {

template <typename T, typename I>
__global__ void embedding_forward_kernel(const T* w, const I* ids, T* out, long long n, long long C, long long V,
                                         DeviceCheck check) {
  const long long total = n * C;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const long long row = i / C, c = i - row * C;
    const long long id = static_cast<long long>(ids[row]);
    if (id < 0 || id >= V) {
      if (c == 0) record_device_error(check, row, id);
      out[i] = store_float<T>(0.0f);
    } else {
      out[i] = w[id * C + c];
    }
  }
}

template <typename T, typename I>
__global__ void embedding_scatter_kernel(const T* g, const I* ids, float* acc, long long n, long long C, long long V,
                                         DeviceCheck check) {
  const long long total = n * C;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const long long row = i / C, c = i - row * C;
    const long long id = static_cast<long long>(ids[row]);
    if (id < 0 || id >= V) {
      if (c == 0) record_device_error(check, row, id);
      continue;
    }
    atomicAdd(acc + id * C + c, load_float(g[i]));
  }
}

template <typename T>
__global__ void embedding_round_kernel(const float* acc, T* out, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    out[i] = store_float<T>(acc[i]);
}

}  // namespace

void embedding_forward_cuda(const Tensor& weight, const Tensor& ids, Tensor& out) {
  const long long n = ids.numel(), C = weight.size(1), V = weight.size(0);
  if (n * C == 0) return;
  CudaContext& ctx = CudaContext::get(weight.device().index);
  const DeviceCheck check =
      expect_device_error(ctx.device, index_range_raiser(ids, V, "embedding", "id", "weight rows V"));
  XLM_DISPATCH_CUDA_FLOAT(weight.dtype(), "embedding", [&](auto tag) {
    using T = decltype(tag);
    const T* w = static_cast<const T*>(weight.data_ptr());  // (V, C)
    T* o = static_cast<T*>(out.data_ptr());                 // (n, C)
    if (ids.dtype() == DType::i32)
      embedding_forward_kernel<T><<<blocks_for(n * C), kThreads, 0, ctx.stream>>>(w, ids.data<int32_t>(), o, n, C, V,
                                                                                  check);
    else
      embedding_forward_kernel<T><<<blocks_for(n * C), kThreads, 0, ctx.stream>>>(w, ids.data<int64_t>(), o, n, C, V,
                                                                                  check);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void embedding_backward_cuda(const Tensor& grad_out, const Tensor& ids, Tensor& grad_weight) {
  const long long n = ids.numel(), C = grad_weight.size(1), V = grad_weight.size(0), VC = grad_weight.numel();
  CudaContext& ctx = CudaContext::get(grad_out.device().index);
  XLM_DISPATCH_CUDA_FLOAT(grad_out.dtype(), "embedding_backward", [&](auto tag) {
    using T = decltype(tag);
    // f32 accumulates in place; 16-bit types go through an fp32 scratch table (V, C).
    Tensor scratch = std::is_same<T, float>::value ? grad_weight
                                                   : Tensor::empty(grad_weight.shape(), DType::f32, grad_weight.device());
    if (VC > 0) XLM_CUDA_CHECK(cudaMemsetAsync(scratch.data_ptr(), 0, scratch.nbytes(), ctx.stream));
    float* acc = static_cast<float*>(scratch.data_ptr());
    const T* g = static_cast<const T*>(grad_out.data_ptr());  // (n, C)
    if (n * C > 0) {
      const DeviceCheck check = expect_device_error(
          ctx.device, index_range_raiser(ids, V, "embedding_backward", "id", "weight rows V"));
      if (ids.dtype() == DType::i32)
        embedding_scatter_kernel<T><<<blocks_for(n * C), kThreads, 0, ctx.stream>>>(g, ids.data<int32_t>(), acc, n, C,
                                                                                    V, check);
      else
        embedding_scatter_kernel<T><<<blocks_for(n * C), kThreads, 0, ctx.stream>>>(g, ids.data<int64_t>(), acc, n, C,
                                                                                    V, check);
      XLM_CUDA_CHECK_LAUNCH();
    }
    if (!std::is_same<T, float>::value && VC > 0) {
      embedding_round_kernel<T><<<blocks_for(VC), kThreads, 0, ctx.stream>>>(acc, static_cast<T*>(grad_weight.data_ptr()), VC);
      XLM_CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace xlm
