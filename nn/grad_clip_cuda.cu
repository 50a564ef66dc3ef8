// CUDA twins for clip_grad_norm. The sum of squares is two-level and
// deterministic: each block of a grid-stride pass sums its elements in fp32
// (block_sum), writes one partial per block into a shared buffer laid out
// tensor after tensor, and the host adds all partials in double in that fixed
// order: one device-to-host copy per call, whatever the number of tensors.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "nn/grad_clip.h"

#include <algorithm>

namespace xlm::nn {

namespace {

constexpr unsigned kMaxBlocksPerTensor = 1024;

unsigned sum_blocks(long long n) { return std::min(blocks_for(n), kMaxBlocksPerTensor); }

template <typename T>
__global__ void sum_squares_kernel(const T* x, long long n, float* partials) {
  __shared__ float scratch[32];
  float acc = 0.0f;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = load_float(x[i]);
    acc += v * v;
  }
  const float total = block_sum(acc, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

template <typename T>
__global__ void scale_kernel(T* x, long long n, float coef) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] = store_float<T>(load_float(x[i]) * coef);
}

}  // namespace

double grad_sum_squares_cuda(const std::vector<Tensor>& grads) {
  if (grads.empty()) return 0.0;
  const Device device = grads.front().device();
  long long total_blocks = 0;
  for (const Tensor& g : grads) {
    check_same_device(grads.front(), g, "clip_grad_norm");
    total_blocks += sum_blocks(g.numel());
  }
  CudaContext& ctx = CudaContext::get(device.index);
  Tensor partials = Tensor::empty({total_blocks}, DType::f32, device);  // (total_blocks,)
  float* out = static_cast<float*>(partials.data_ptr());
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
  for (float p : partials.to_vector<float>()) total += static_cast<double>(p);
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
