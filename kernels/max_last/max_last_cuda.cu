// CUDA last-dim max: one warp per row, like sum_last. Each lane scans its
// strided elements in increasing order keeping its first best; the warp then
// combines (value, index) pairs with shuffles under one total order (larger
// value first, NaN above every number, then lower index), so the result is
// the CPU scan's exactly, whatever the combination order. The backward writes
// every element of grad_x (zero off the argmax) in one grid-stride pass.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/max_last/max_last.h"

namespace xlm {

namespace {

constexpr int kWarp = 32;

// True when (v, i) comes before (best_v, best_i) in the order described above.
__device__ __forceinline__ bool precedes(float v, long long i, float best_v, long long best_i) {
  const bool v_nan = isnan(v), best_nan = isnan(best_v);
  if (v_nan != best_nan) return v_nan;
  if (!v_nan && v != best_v) return v > best_v;
  return i < best_i;
}

// x (rows, cols) -> values (rows,), indices (rows,). All lanes of a warp run the same rows.
template <typename T>
__global__ void row_max_kernel(const T* x, T* values, long long* indices, long long rows, long long cols) {
  const int lane = threadIdx.x % kWarp;
  const long long warp = (blockIdx.x * (long long)blockDim.x + threadIdx.x) / kWarp;
  const long long warps = (long long)gridDim.x * blockDim.x / kWarp;
  for (long long r = warp; r < rows; r += warps) {
    const T* row = x + r * cols;
    // Lanes past the end of a short row start from an index that loses every comparison.
    float best_v = 0.0f;
    long long best_i = cols;
    for (long long c = lane; c < cols; c += kWarp) {
      const float v = load_float(row[c]);
      if (best_i == cols || precedes(v, c, best_v, best_i)) {
        best_v = v;
        best_i = c;
      }
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      const float other_v = __shfl_xor_sync(0xffffffffu, best_v, offset);
      const long long other_i = __shfl_xor_sync(0xffffffffu, best_i, offset);
      if (other_i != cols && (best_i == cols || precedes(other_v, other_i, best_v, best_i))) {
        best_v = other_v;
        best_i = other_i;
      }
    }
    if (lane == 0) {
      values[r] = row[best_i];  // the stored element itself, no round trip through fp32
      indices[r] = best_i;
    }
  }
}

// grad_x (rows, cols): g at the argmax of each row, zero elsewhere.
template <typename T>
__global__ void route_to_argmax_kernel(const long long* indices, const T* gy, T* gx, long long n, long long cols) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const long long r = i / cols;
    gx[i] = i - r * cols == indices[r] ? gy[r] : store_float<T>(0.0f);
  }
}

}  // namespace

void max_last_forward_cuda(const Tensor& x, Tensor& values, Tensor& indices) {
  const long long rows = values.numel();
  const long long cols = x.size(-1);
  if (rows == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "max_last", [&](auto tag) {
    using T = decltype(tag);
    row_max_kernel<T><<<blocks_for(rows * kWarp), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<T*>(values.data_ptr()),
        static_cast<long long*>(indices.data_ptr()), rows, cols);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void max_last_backward_cuda(const Tensor& indices, const Tensor& grad_values, Tensor& grad_x) {
  const long long n = grad_x.numel();
  if (n == 0) return;
  const long long cols = grad_x.size(-1);
  CudaContext& ctx = CudaContext::get(grad_x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(grad_x.dtype(), "max_last_backward", [&](auto tag) {
    using T = decltype(tag);
    route_to_argmax_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        static_cast<const long long*>(indices.data_ptr()), static_cast<const T*>(grad_values.data_ptr()),
        static_cast<T*>(grad_x.data_ptr()), n, cols);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
