// CUDA gather_rows: forward is a grid-stride copy over the M*C output elements;
// backward scatters with atomicAdd. f32 gradients add straight into the
// (zeroed) result; bf16/f16 gradients add into an fp32 scratch buffer that is
// rounded once at the end, so repeated indices do not lose precision to 16-bit
// partial sums (and no 16-bit atomics are needed). Indices are range-checked
// here, as they are read, not on the host (kernels/index_check.h): a bad index
// gives a zero row forward and no scatter backward, never an access outside
// x, and is recorded in the device error slot that the host raises at its
// next device read.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "core/device_errors.cuh"
#include "core/device_errors_cuda.h"
#include "kernels/gather_rows/gather_rows.h"
#include "kernels/index_check.h"

#include <type_traits>

namespace xlm {

namespace {

template <typename T, typename I>
__global__ void gather_rows_forward_kernel(const T* px, const I* index, T* out, long long M, long long C, long long N,
                                           DeviceCheck check) {
  const long long total = M * C;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const long long row = i / C, c = i - row * C;
    const long long r = static_cast<long long>(index[row]);
    if (r < 0 || r >= N) {
      if (c == 0) record_device_error(check, row, r);
      out[i] = store_float<T>(0.0f);
    } else {
      out[i] = px[r * C + c];
    }
  }
}

template <typename T, typename I>
__global__ void gather_rows_scatter_kernel(const T* g, const I* index, float* acc, long long M, long long C,
                                           long long N, DeviceCheck check) {
  const long long total = M * C;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const long long row = i / C, c = i - row * C;
    const long long r = static_cast<long long>(index[row]);
    if (r < 0 || r >= N) {
      if (c == 0) record_device_error(check, row, r);
      continue;
    }
    atomicAdd(acc + r * C + c, load_float(g[i]));
  }
}

template <typename T>
__global__ void gather_rows_round_kernel(const float* acc, T* out, long long M) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < M; i += (long long)gridDim.x * blockDim.x)
    out[i] = store_float<T>(acc[i]);
}

}  // namespace

void gather_rows_forward_cuda(const Tensor& x, const Tensor& index, Tensor& out) {
  const long long M = index.numel(), C = x.size(1), N = x.size(0);
  if (M * C == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  const DeviceCheck check =
      expect_device_error(ctx.device, index_range_raiser(index, N, "gather_rows", "index", "rows of x N"));
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "gather_rows", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (N, C)
    T* o = static_cast<T*>(out.data_ptr());                 // (M, C)
    if (index.dtype() == DType::i32)
      gather_rows_forward_kernel<T><<<blocks_for(M * C), kThreads, 0, ctx.stream>>>(px, index.data<int32_t>(), o, M, C,
                                                                                    N, check);
    else
      gather_rows_forward_kernel<T><<<blocks_for(M * C), kThreads, 0, ctx.stream>>>(px, index.data<int64_t>(), o, M, C,
                                                                                    N, check);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void gather_rows_backward_cuda(const Tensor& grad_out, const Tensor& index, Tensor& grad_x) {
  const long long M = index.numel(), C = grad_x.size(1), N = grad_x.size(0), NC = grad_x.numel();
  CudaContext& ctx = CudaContext::get(grad_out.device().index);
  XLM_DISPATCH_CUDA_FLOAT(grad_out.dtype(), "gather_rows_backward", [&](auto tag) {
    using T = decltype(tag);
    // f32 accumulates in place; 16-bit types go through an fp32 scratch table (N, C).
    Tensor scratch = std::is_same<T, float>::value ? grad_x
                                                   : Tensor::empty(grad_x.shape(), DType::f32, grad_x.device());
    if (NC > 0) XLM_CUDA_CHECK(cudaMemsetAsync(scratch.data_ptr(), 0, scratch.nbytes(), ctx.stream));
    float* acc = static_cast<float*>(scratch.data_ptr());
    const T* g = static_cast<const T*>(grad_out.data_ptr());  // (M, C)
    if (M * C > 0) {
      const DeviceCheck check = expect_device_error(
          ctx.device, index_range_raiser(index, N, "gather_rows_backward", "index", "rows of x N"));
      if (index.dtype() == DType::i32)
        gather_rows_scatter_kernel<T><<<blocks_for(M * C), kThreads, 0, ctx.stream>>>(g, index.data<int32_t>(), acc, M,
                                                                                      C, N, check);
      else
        gather_rows_scatter_kernel<T><<<blocks_for(M * C), kThreads, 0, ctx.stream>>>(g, index.data<int64_t>(), acc, M,
                                                                                      C, N, check);
      XLM_CUDA_CHECK_LAUNCH();
    }
    if (!std::is_same<T, float>::value && NC > 0) {
      gather_rows_round_kernel<T><<<blocks_for(NC), kThreads, 0, ctx.stream>>>(acc, static_cast<T*>(grad_x.data_ptr()), NC);
      XLM_CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace xlm
