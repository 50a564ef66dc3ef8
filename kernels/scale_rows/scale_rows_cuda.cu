// CUDA scale_rows: the forward is a grid-stride elementwise kernel that reads
// its row's scale (i / C); the scale's gradient is one warp per row (as in
// sum_last): lanes stride the row for coalesced loads, accumulate g * x in
// fp32 and combine with a fixed butterfly of shuffles, so results are
// deterministic.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/scale_rows/scale_rows.h"

namespace xlm {

namespace {

constexpr int kWarp = 32;

// x (rows, cols), scale (rows,) -> y (rows, cols); n = rows * cols.
template <typename T>
__global__ void scale_rows_kernel(const T* x, const T* scale, T* y, long long n, long long cols) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = store_float<T>(load_float(x[i]) * load_float(scale[i / cols]));
}

// x, g (rows, cols) -> gs (rows,) = sum_c g * x. blockDim.x is a multiple of 32 and
// every lane of a warp runs the same rows, so the full-mask shuffles are safe.
template <typename T>
__global__ void row_dot_kernel(const T* x, const T* g, T* gs, long long rows, long long cols) {
  const int lane = threadIdx.x % kWarp;
  const long long warp = (blockIdx.x * (long long)blockDim.x + threadIdx.x) / kWarp;
  const long long warps = (long long)gridDim.x * blockDim.x / kWarp;
  for (long long r = warp; r < rows; r += warps) {
    const T* xr = x + r * cols;
    const T* gr = g + r * cols;
    float acc = 0.0f;
    for (long long c = lane; c < cols; c += kWarp) acc += load_float(gr[c]) * load_float(xr[c]);
    acc = warp_sum(acc);
    if (lane == 0) gs[r] = store_float<T>(acc);
  }
}

}  // namespace

void scale_rows_forward_cuda(const Tensor& x, const Tensor& row_scale, Tensor& y) {
  const long long n = x.numel();
  const long long cols = x.size(-1);
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "scale_rows", [&](auto tag) {
    using T = decltype(tag);
    scale_rows_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(x.data_ptr()),
                                                                      static_cast<const T*>(row_scale.data_ptr()),
                                                                      static_cast<T*>(y.data_ptr()), n, cols);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void scale_rows_grad_scale_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_scale) {
  const long long rows = grad_scale.numel();
  const long long cols = x.size(-1);
  if (rows == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "scale_rows_grad_scale", [&](auto tag) {
    using T = decltype(tag);
    row_dot_kernel<T><<<blocks_for(rows * kWarp), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(grad_y.data_ptr()),
        static_cast<T*>(grad_scale.data_ptr()), rows, cols);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
