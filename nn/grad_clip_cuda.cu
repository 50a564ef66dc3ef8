// CUDA twins for clip_grad_norm. The sum of squares is two-level and
// deterministic: each block of a grid-stride pass sums its elements' squares
// in double (nn/sum_squares.cuh), writes one partial per block into a shared buffer laid out
// tensor after tensor, and the host adds all partials in double in that fixed
// order: one device-to-host copy per call, whatever the number of tensors.
// grad_norm_and_factor_cuda adds the same partials on the device instead (one
// block, double, a fixed strided order and a fixed tree, so deterministic) and
// leaves the norm and the clip factor in device memory: no copy at all.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "nn/sum_squares.cuh"
#include "nn/grad_clip.h"

#include <algorithm>

namespace xlm::nn {

namespace {

constexpr unsigned kMaxBlocksPerTensor = 1024;

unsigned sum_blocks(long long n) { return std::min(blocks_for(n), kMaxBlocksPerTensor); }

template <typename T>
__global__ void scale_kernel(T* x, long long n, float coef) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] = store_float<T>(load_float(x[i]) * coef);
}

constexpr unsigned kFinalThreads = 256;

// One block: partials (n,) -> norm[0] = sqrt(sum) * inv_scale, factor[0] =
// the clip factor times inv_scale (grad_clip.h).
__global__ void norm_and_factor_kernel(const double* partials, long long n, double max_norm, double inv_scale,
                                       double* norm, double* factor) {
  __shared__ double sums[kFinalThreads];
  double acc = 0.0;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += partials[i];
  sums[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const double value = sqrt(sums[0]) * inv_scale;
    double coef = 1.0;
    if (max_norm > 0 && isfinite(value)) coef = fmin(1.0, max_norm / (value + 1e-6));
    norm[0] = value;
    factor[0] = coef * inv_scale;
  }
}

// Launches the per-tensor partial sums into a fresh (total_blocks,) buffer.
Tensor square_partials(const std::vector<Tensor>& grads, cudaStream_t stream) {
  long long total_blocks = 0;
  for (const Tensor& g : grads) {
    check_same_device(grads.front(), g, "clip_grad_norm");
    total_blocks += sum_blocks(g.numel());
  }
  Tensor partials = Tensor::zeros({std::max(total_blocks, 1LL)}, DType::f64, grads.front().device());  // (total_blocks,)
  double* out = static_cast<double*>(partials.data_ptr());
  for (const Tensor& g : grads) {
    const long long n = g.numel();
    if (n == 0) continue;
    const unsigned blocks = sum_blocks(n);
    XLM_DISPATCH_CUDA_FLOAT(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      sum_squares_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<const T*>(g.data_ptr()), n, out);
      XLM_CUDA_CHECK_LAUNCH();
    });
    out += blocks;
  }
  return partials;
}

}  // namespace

void grad_norm_and_factor_cuda(const std::vector<Tensor>& grads, double max_norm, double inv_scale, Tensor& norm,
                               Tensor& factor) {
  CudaContext& ctx = CudaContext::get(grads.front().device().index);
  const Tensor partials = square_partials(grads, ctx.stream);  // (blocks,)
  norm_and_factor_kernel<<<1, kFinalThreads, 0, ctx.stream>>>(static_cast<const double*>(partials.data_ptr()),
                                                              partials.numel(), max_norm, inv_scale,
                                                              static_cast<double*>(norm.data_ptr()),
                                                              static_cast<double*>(factor.data_ptr()));
  XLM_CUDA_CHECK_LAUNCH();
}

double grad_sum_squares_cuda(const std::vector<Tensor>& grads) {
  if (grads.empty()) return 0.0;
  const Device device = grads.front().device();
  long long total_blocks = 0;
  for (const Tensor& g : grads) {
    check_same_device(grads.front(), g, "clip_grad_norm");
    total_blocks += sum_blocks(g.numel());
  }
  CudaContext& ctx = CudaContext::get(device.index);
  Tensor partials = Tensor::empty({total_blocks}, DType::f64, device);  // (total_blocks,)
  double* out = static_cast<double*>(partials.data_ptr());
  for (const Tensor& g : grads) {
    const long long n = g.numel();
    const unsigned blocks = sum_blocks(n);
    XLM_DISPATCH_CUDA_FLOAT(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      sum_squares_kernel<T><<<blocks, kThreads, 0, ctx.stream>>>(static_cast<const T*>(g.data_ptr()), n, out);
      XLM_CUDA_CHECK_LAUNCH();
    });
    out += blocks;
  }
  double total = 0;
  for (double p : partials.to_vector<double>()) total += p;
  return total;
}

void scale_grads_cuda(const std::vector<Tensor>& grads, double coef) {
  for (const Tensor& g : grads) {
    const long long n = g.numel();
    if (n == 0) continue;
    CudaContext& ctx = CudaContext::get(g.device().index);
    XLM_DISPATCH_CUDA_FLOAT(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      scale_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<T*>(g.data_ptr()), n,
                                                                  static_cast<float>(coef));
      XLM_CUDA_CHECK_LAUNCH();
    });
  }
}

}  // namespace xlm::nn
