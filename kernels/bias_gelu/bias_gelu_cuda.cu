// CUDA bias + GELU. Forward: a grid-stride loop over groups of 4 elements,
// one vector load of x and of b per group when N is a multiple of 4 and the
// pointers are aligned (kernels/vec_access.cuh), fp32 erff. Backward: the
// grad_x pass and the column sums for grad_b are one kernel: a block of
// (32 columns x 8 row lanes) walks a slice of the rows, stores grad_x and
// keeps fp32 column sums, reduced across its lanes into a (chunks, N)
// partial; a second kernel adds the chunks of each column in a fixed order
// (deterministic, no atomics). Warps read 32 consecutive columns of a row,
// so the accesses are coalesced.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/vec_access.cuh"

namespace xlm {

namespace {

constexpr int kColTile = 32;  // columns per backward block (one warp wide)
constexpr int kRowLanes = 8;  // rows a backward block walks at once
constexpr long long kMaxChunks = 256;

__device__ __forceinline__ float gelu_exact(float z) { return 0.5f * z * (1.0f + erff(z * 0.70710678118654752f)); }

__device__ __forceinline__ float gelu_exact_grad(float z) {
  const float cdf = 0.5f * (1.0f + erff(z * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * expf(-0.5f * z * z);
  return cdf + z * pdf;
}

// Group k covers flat elements 4k .. 4k+3; with kVec they share one row.
template <typename T, bool kVec>
__global__ void bias_gelu_forward_kernel(const T* x, const T* b, T* y, long long n, long long N) {
  const long long groups = (n + 3) / 4;
  for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < groups; k += (long long)gridDim.x * blockDim.x) {
    const long long i = 4 * k;
    float xv[4], bv[4], out[4];
    load4<T, kVec>(x, i, n, xv);
    if (kVec) {
      load4<T, true>(b, i % N, N, bv);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = i + j < n ? load_float(b[(i + j) % N]) : 0.0f;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) out[j] = gelu_exact(xv[j] + bv[j]);
    store4<T, kVec>(y, i, n, out);
  }
}

// Block (kColTile, kRowLanes) at (column tile, chunk) handles rows
// chunk * kRowLanes + ty, stepping by chunks * kRowLanes.
template <typename T>
__global__ void bias_gelu_backward_kernel(const T* x, const T* b, const T* gy, T* gx, float* partial_b, long long rows,
                                          long long N) {
  __shared__ float sb[kRowLanes][kColTile + 1];
  const long long c = blockIdx.x * static_cast<long long>(kColTile) + threadIdx.x;
  float acc = 0.0f;
  if (c < N) {
    const float bc = load_float(b[c]);
    const long long step = static_cast<long long>(gridDim.y) * kRowLanes;
    for (long long r = blockIdx.y * static_cast<long long>(kRowLanes) + threadIdx.y; r < rows; r += step) {
      const long long i = r * N + c;
      const float g = load_float(gy[i]) * gelu_exact_grad(load_float(x[i]) + bc);
      gx[i] = store_float<T>(g);
      acc += g;
    }
  }
  sb[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < N) {
    float t = 0.0f;
    for (int k = 0; k < kRowLanes; ++k) t += sb[k][threadIdx.x];
    partial_b[blockIdx.y * N + c] = t;
  }
}

// grad_b[c] = the sum of column c's `chunks` partials, in order.
template <typename T>
__global__ void bias_gelu_bias_final_kernel(const float* partial_b, T* grad_b, long long chunks, long long N) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < N; c += (long long)gridDim.x * blockDim.x) {
    float t = 0.0f;
    for (long long k = 0; k < chunks; ++k) t += partial_b[k * N + c];
    grad_b[c] = store_float<T>(t);
  }
}

}  // namespace

void bias_gelu_forward_cuda(const Tensor& x, const Tensor& b, Tensor& y) {
  const long long n = x.numel(), N = b.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "bias_gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pb = static_cast<const T*>(b.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const unsigned grid = blocks_for((n + 3) / 4);
    if (N % 4 == 0 && vec4_aligned<T>(px) && vec4_aligned<T>(pb) && vec4_aligned<T>(py))
      bias_gelu_forward_kernel<T, true><<<grid, kThreads, 0, ctx.stream>>>(px, pb, py, n, N);
    else
      bias_gelu_forward_kernel<T, false><<<grid, kThreads, 0, ctx.stream>>>(px, pb, py, n, N);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void bias_gelu_backward_cuda(const Tensor& x, const Tensor& b, const Tensor& grad_y, Tensor& grad_x,
                             Tensor& grad_b) {
  const long long N = b.numel();
  const long long rows = N == 0 ? 0 : x.numel() / N;
  if (N == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  long long chunks = (rows + 4 * kRowLanes - 1) / (4 * kRowLanes);  // each lane walks >= 4 rows
  if (chunks < 1) chunks = 1;
  if (chunks > kMaxChunks) chunks = kMaxChunks;
  Tensor partial = Tensor::empty({chunks, N}, DType::f32, x.device());  // (chunks, N)
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "bias_gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    const dim3 grid(static_cast<unsigned>((N + kColTile - 1) / kColTile), static_cast<unsigned>(chunks));
    bias_gelu_backward_kernel<T><<<grid, dim3(kColTile, kRowLanes), 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(b.data_ptr()),
        static_cast<const T*>(grad_y.data_ptr()), static_cast<T*>(grad_x.data_ptr()),
        static_cast<float*>(partial.data_ptr()), rows, N);
    XLM_CUDA_CHECK_LAUNCH();
    bias_gelu_bias_final_kernel<T><<<blocks_for(N), kThreads, 0, ctx.stream>>>(
        static_cast<const float*>(partial.data_ptr()), static_cast<T*>(grad_b.data_ptr()), chunks, N);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
