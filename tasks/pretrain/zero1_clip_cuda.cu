// CUDA twins of tasks/pretrain/zero1_clip.h: per group, block partial sums of
// squares in double (nn/sum_squares.cuh, as nn/grad_clip_cuda.cu) and one block that adds them in
// double into sums[g], all on the stream; then one thread per group for the
// norm and factor. Nothing is copied to the host.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "nn/sum_squares.cuh"
#include "tasks/pretrain/zero1_clip.h"

#include <algorithm>

namespace xlm::tasks {

namespace {

constexpr unsigned kMaxBlocksPerTensor = 1024;
constexpr unsigned kFinalThreads = 256;

// One block: partials (n,) -> *out = their sum in double.
__global__ void add_partials_kernel(const double* partials, long long n, double* out) {
  __shared__ double sums[kFinalThreads];
  double acc = 0.0;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += partials[i];
  sums[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = sums[0];
}

__global__ void norms_factors_kernel(const double* sums, long long G, double max_norm, double* norms,
                                     double* factors) {
  for (long long g = blockIdx.x * (long long)blockDim.x + threadIdx.x; g < G; g += (long long)gridDim.x * blockDim.x) {
    const double norm = sqrt(sums[g]);
    norms[g] = norm;
    factors[g] = max_norm > 0 && isfinite(norm) ? fmin(1.0, max_norm / (norm + 1e-6)) : 1.0;
  }
}

}  // namespace

void zero1_group_sum_squares_cuda(const std::vector<std::vector<Tensor>>& groups, Tensor& sums) {
  CudaContext& ctx = CudaContext::get(sums.device().index);
  if (sums.numel() > 0) XLM_CUDA_CHECK(cudaMemsetAsync(sums.data_ptr(), 0, sums.nbytes(), ctx.stream));
  double* out = static_cast<double*>(sums.data_ptr());  // (G)
  for (size_t g = 0; g < groups.size(); ++g) {
    long long total_blocks = 0;
    for (const Tensor& t : groups[g]) {
      check_same_device(sums, t, "zero1 gradient norm");
      total_blocks += t.numel() == 0 ? 0 : std::min(blocks_for(t.numel()), kMaxBlocksPerTensor);
    }
    if (total_blocks == 0) continue;  // stays 0
    Tensor partials = Tensor::empty({total_blocks}, DType::f64, sums.device());  // (total_blocks)
    double* p = static_cast<double*>(partials.data_ptr());
    for (const Tensor& t : groups[g]) {
      const long long n = t.numel();
      if (n == 0) continue;
      const unsigned blocks = std::min(blocks_for(n), kMaxBlocksPerTensor);
      XLM_DISPATCH_CUDA_FLOAT(t.dtype(), "zero1 gradient norm", [&](auto tag) {
        using T = decltype(tag);
        nn::sum_squares_kernel<T><<<blocks, kThreads, 0, ctx.stream>>>(static_cast<const T*>(t.data_ptr()), n, p);
        XLM_CUDA_CHECK_LAUNCH();
      });
      p += blocks;
    }
    add_partials_kernel<<<1, kFinalThreads, 0, ctx.stream>>>(static_cast<const double*>(partials.data_ptr()),
                                                             total_blocks, out + g);
    XLM_CUDA_CHECK_LAUNCH();
  }
}

void zero1_norms_and_factors_cuda(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors) {
  const long long G = sums.numel();
  if (G == 0) return;
  CudaContext& ctx = CudaContext::get(sums.device().index);
  norms_factors_kernel<<<blocks_for(G), kThreads, 0, ctx.stream>>>(
      static_cast<const double*>(sums.data_ptr()), G, max_norm, static_cast<double*>(norms.data_ptr()),
      static_cast<double*>(factors.data_ptr()));
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace xlm::tasks
