// CUDA last-dim sum: one warp per row (8 rows per 256-thread block, grid-
// stride over rows). Lanes stride the row so loads are coalesced, accumulate
// in fp32 and combine with a butterfly of shuffles, a fixed order that makes
// results deterministic. The backward is a grid-stride broadcast.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

namespace {

constexpr int kWarp = 32;

// x (rows, cols) -> y (rows,) = scale * row sums. blockDim.x is a multiple of 32,
// and every lane of a warp runs the same rows, so the full-mask shuffles are safe.
template <typename T>
__global__ void row_sum_kernel(const T* x, T* y, long long rows, long long cols, float scale) {
  const int lane = threadIdx.x % kWarp;
  const long long warp = (blockIdx.x * (long long)blockDim.x + threadIdx.x) / kWarp;
  const long long warps = (long long)gridDim.x * blockDim.x / kWarp;
  for (long long r = warp; r < rows; r += warps) {
    const T* row = x + r * cols;
    float acc = 0.0f;
    for (long long c = lane; c < cols; c += kWarp) acc += load_float(row[c]);
    acc = warp_sum(acc);
    if (lane == 0) y[r] = store_float<T>(acc * scale);
  }
}

// grad_y (rows,) -> grad_x (rows, cols) = scale * grad_y broadcast over cols.
template <typename T>
__global__ void broadcast_rows_kernel(const T* gy, T* gx, long long n, long long cols, float scale) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    gx[i] = store_float<T>(load_float(gy[i / cols]) * scale);
}

}  // namespace

void sum_last_forward_cuda(const Tensor& x, double scale, Tensor& y) {
  const long long rows = y.numel();
  const long long cols = x.size(-1);
  if (rows == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "sum_last", [&](auto tag) {
    using T = decltype(tag);
    row_sum_kernel<T><<<blocks_for(rows * kWarp), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<T*>(y.data_ptr()), rows, cols, static_cast<float>(scale));
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void sum_last_backward_cuda(const Tensor& grad_y, double scale, Tensor& grad_x) {
  const long long n = grad_x.numel();
  if (n == 0) return;
  const long long cols = grad_x.size(-1);
  CudaContext& ctx = CudaContext::get(grad_x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(grad_x.dtype(), "sum_last_backward", [&](auto tag) {
    using T = decltype(tag);
    broadcast_rows_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(grad_y.data_ptr()), static_cast<T*>(grad_x.data_ptr()), n, cols,
        static_cast<float>(scale));
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
