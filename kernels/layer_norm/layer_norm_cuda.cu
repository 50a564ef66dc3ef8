// CUDA LayerNorm. Forward and the grad_x half of the backward are one block
// per row (two-pass mean/variance in fp32, block reductions from
// kernels/block_reduce.cuh). grad_gamma/grad_beta are column sums over all
// rows, done in two deterministic stages instead of atomics: stage 1 has each
// block sum a 32-column tile over a slice of rows into an fp32 partial
// (chunks, C); stage 2 adds the chunks of each column in a fixed order.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/layer_norm/layer_norm.h"

namespace xlm {

namespace {

constexpr int kColTile = 32;   // columns per stage-1 block (one warp wide)
constexpr int kRowLanes = 8;   // rows a stage-1 block walks at once
constexpr long long kMaxChunks = 256;

template <typename T>
__global__ void layer_norm_forward_kernel(const T* x, const T* gamma, const T* beta, float eps, T* y, float* mean,
                                          float* rstd, long long rows, long long C) {
  __shared__ float scratch[32];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * C;  // (C,)
    float s = 0.0f;
    for (long long c = threadIdx.x; c < C; c += blockDim.x) s += load_float(xr[c]);
    const float mu = block_sum(s, scratch) / static_cast<float>(C);
    float q = 0.0f;
    for (long long c = threadIdx.x; c < C; c += blockDim.x) {
      const float d = load_float(xr[c]) - mu;
      q += d * d;
    }
    const float r = 1.0f / sqrtf(block_sum(q, scratch) / static_cast<float>(C) + eps);
    if (threadIdx.x == 0) {
      mean[row] = mu;
      rstd[row] = r;
    }
    for (long long c = threadIdx.x; c < C; c += blockDim.x)
      y[row * C + c] = store_float<T>((load_float(xr[c]) - mu) * r * load_float(gamma[c]) + load_float(beta[c]));
  }
}

template <typename T>
__global__ void layer_norm_grad_x_kernel(const T* x, const T* gamma, const float* mean, const float* rstd,
                                         const T* gy, T* gx, long long rows, long long C) {
  __shared__ float scratch[32];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * C;   // (C,)
    const T* gr = gy + row * C;  // (C,)
    const float m = mean[row], r = rstd[row];
    float sd = 0.0f, sdx = 0.0f;
    for (long long c = threadIdx.x; c < C; c += blockDim.x) {
      const float xhat = (load_float(xr[c]) - m) * r;
      const float d = load_float(gr[c]) * load_float(gamma[c]);
      sd += d;
      sdx += d * xhat;
    }
    const float mean_d = block_sum(sd, scratch) / static_cast<float>(C);
    const float mean_dx = block_sum(sdx, scratch) / static_cast<float>(C);
    for (long long c = threadIdx.x; c < C; c += blockDim.x) {
      const float xhat = (load_float(xr[c]) - m) * r;
      const float d = load_float(gr[c]) * load_float(gamma[c]);
      gx[row * C + c] = store_float<T>(r * (d - mean_d - xhat * mean_dx));
    }
  }
}

// Stage 1: block (kColTile, kRowLanes) at (column tile, chunk) sums rows
// chunk*kRowLanes + ty, stepping by chunks*kRowLanes, into partial_* (chunks, C).
template <typename T>
__global__ void layer_norm_param_partial_kernel(const T* x, const T* gy, const float* mean, const float* rstd,
                                                float* partial_gamma, float* partial_beta, long long rows,
                                                long long C) {
  __shared__ float sg[kRowLanes][kColTile + 1];
  __shared__ float sb[kRowLanes][kColTile + 1];
  const long long c = blockIdx.x * static_cast<long long>(kColTile) + threadIdx.x;
  float ag = 0.0f, ab = 0.0f;
  if (c < C) {
    const long long step = static_cast<long long>(gridDim.y) * kRowLanes;
    for (long long r = blockIdx.y * static_cast<long long>(kRowLanes) + threadIdx.y; r < rows; r += step) {
      const float g = load_float(gy[r * C + c]);
      ag += g * (load_float(x[r * C + c]) - mean[r]) * rstd[r];
      ab += g;
    }
  }
  sg[threadIdx.y][threadIdx.x] = ag;
  sb[threadIdx.y][threadIdx.x] = ab;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    float tg = 0.0f, tb = 0.0f;
    for (int k = 0; k < kRowLanes; ++k) {
      tg += sg[k][threadIdx.x];
      tb += sb[k][threadIdx.x];
    }
    partial_gamma[blockIdx.y * C + c] = tg;
    partial_beta[blockIdx.y * C + c] = tb;
  }
}

// Stage 2: column c's total is the sum of its `chunks` partials, in order.
template <typename T>
__global__ void layer_norm_param_final_kernel(const float* partial_gamma, const float* partial_beta, T* grad_gamma,
                                              T* grad_beta, long long chunks, long long C) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < C; c += (long long)gridDim.x * blockDim.x) {
    float tg = 0.0f, tb = 0.0f;
    for (long long k = 0; k < chunks; ++k) {
      tg += partial_gamma[k * C + c];
      tb += partial_beta[k * C + c];
    }
    grad_gamma[c] = store_float<T>(tg);
    grad_beta[c] = store_float<T>(tb);
  }
}

}  // namespace

void layer_norm_forward_cuda(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, Tensor& y,
                             Tensor& mean, Tensor& rstd) {
  const long long C = x.size(-1);
  const long long rows = x.numel() / C;
  if (rows == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    layer_norm_forward_kernel<T><<<row_blocks(rows), row_block_threads(C), 0, ctx.stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(gamma.data_ptr()),
        static_cast<const T*>(beta.data_ptr()), static_cast<float>(eps), static_cast<T*>(y.data_ptr()),
        static_cast<float*>(mean.data_ptr()), static_cast<float*>(rstd.data_ptr()), rows, C);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void layer_norm_backward_cuda(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                              const Tensor& grad_y, Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  const long long C = x.size(-1);
  const long long rows = x.numel() / C;
  CudaContext& ctx = CudaContext::get(x.device().index);
  long long chunks = (rows + 4 * kRowLanes - 1) / (4 * kRowLanes);  // each block walks >= 4 rows per lane
  if (chunks < 1) chunks = 1;
  if (chunks > kMaxChunks) chunks = kMaxChunks;
  Tensor partial_gamma = Tensor::empty({chunks, C}, DType::f32, x.device());  // (chunks, C)
  Tensor partial_beta = Tensor::empty({chunks, C}, DType::f32, x.device());   // (chunks, C)
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pgy = static_cast<const T*>(grad_y.data_ptr());
    const float* pm = static_cast<const float*>(mean.data_ptr());
    const float* pr = static_cast<const float*>(rstd.data_ptr());
    if (rows > 0) {
      layer_norm_grad_x_kernel<T><<<row_blocks(rows), row_block_threads(C), 0, ctx.stream>>>(
          px, static_cast<const T*>(gamma.data_ptr()), pm, pr, pgy, static_cast<T*>(grad_x.data_ptr()), rows, C);
      XLM_CUDA_CHECK_LAUNCH();
    }
    const dim3 grid(static_cast<unsigned>((C + kColTile - 1) / kColTile), static_cast<unsigned>(chunks));
    layer_norm_param_partial_kernel<T><<<grid, dim3(kColTile, kRowLanes), 0, ctx.stream>>>(
        px, pgy, pm, pr, static_cast<float*>(partial_gamma.data_ptr()), static_cast<float*>(partial_beta.data_ptr()),
        rows, C);
    XLM_CUDA_CHECK_LAUNCH();
    layer_norm_param_final_kernel<T><<<blocks_for(C), kThreads, 0, ctx.stream>>>(
        static_cast<const float*>(partial_gamma.data_ptr()), static_cast<const float*>(partial_beta.data_ptr()),
        static_cast<T*>(grad_gamma.data_ptr()), static_cast<T*>(grad_beta.data_ptr()), chunks, C);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
