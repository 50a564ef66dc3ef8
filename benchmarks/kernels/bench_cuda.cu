// Device half of xlm_kernel_bench (see bench_cuda.h). Everything runs on the
// engine's own stream (CudaContext), the stream our ops launch on, so the
// events bracket exactly the work of one run.
#include "benchmarks/kernels/bench_cuda.h"

#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"

#include <fmt/format.h>

namespace xlm::bench {

namespace {

// splitmix64: a counter-based hash, so every element is independent of the launch shape.
__device__ __forceinline__ unsigned long long mix(unsigned long long z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename T>
__global__ void fill_uniform_kernel(T* out, long long n, unsigned long long seed, float lo, float hi) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float u = static_cast<float>(mix(seed ^ (unsigned long long)i) >> 40) * (1.0f / 16777216.0f);  // [0, 1)
    out[i] = store_float<T>(lo + (hi - lo) * u);
  }
}

__global__ void fill_indices_kernel(long long* out, long long n, unsigned long long seed, long long bound) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    out[i] = static_cast<long long>(mix(seed ^ (unsigned long long)i) % (unsigned long long)bound);
  }
}

CudaContext& context() { return CudaContext::get(0); }

}  // namespace

DeviceInfo device_info() {
  const cudaDeviceProp& p = context().props;
  return {p.name, fmt::format("{}.{}", p.major, p.minor), static_cast<int64_t>(p.l2CacheSize)};
}

Timer::Timer() {
  CudaContext& ctx = context();
  flush_bytes_ = 2 * static_cast<int64_t>(ctx.props.l2CacheSize);
  if (flush_bytes_ < (int64_t{8} << 20)) flush_bytes_ = int64_t{8} << 20;
  XLM_CUDA_CHECK(cudaMalloc(&flush_, static_cast<size_t>(flush_bytes_)));
}

Timer::~Timer() { cudaFree(flush_); }

std::vector<double> Timer::time(const std::function<void(int)>& run, int warmup, int runs, int sets) {
  CudaContext& ctx = context();
  for (int w = 0; w < warmup; ++w) run(w % sets);
  XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  cudaEvent_t start = nullptr, stop = nullptr;
  XLM_CUDA_CHECK(cudaEventCreate(&start));
  XLM_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> times;
  try {
    for (int r = 0; r < runs; ++r) {
      // A different byte each time, so the write is never elided.
      XLM_CUDA_CHECK(cudaMemsetAsync(flush_, r & 0xff, static_cast<size_t>(flush_bytes_), ctx.stream));
      XLM_CUDA_CHECK(cudaEventRecord(start, ctx.stream));
      run(r % sets);
      XLM_CUDA_CHECK(cudaEventRecord(stop, ctx.stream));
      XLM_CUDA_CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      XLM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
      times.push_back(ms);
    }
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  XLM_CUDA_CHECK(cudaEventDestroy(start));
  XLM_CUDA_CHECK(cudaEventDestroy(stop));
  return times;
}

void fill_uniform(Tensor& t, uint64_t seed, float lo, float hi) {
  const long long n = t.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(t.device().index);
  XLM_DISPATCH_CUDA_FLOAT(t.dtype(), "fill_uniform", [&](auto tag) {
    using T = decltype(tag);
    fill_uniform_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<T*>(t.data_ptr()), n, seed, lo, hi);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void fill_indices(Tensor& t, uint64_t seed, int64_t bound) {
  check_dtype(t, DType::i64, "fill_indices", "t");
  XLM_CHECK(bound > 0, ConfigError, "fill_indices: bound must be positive, got {}", bound);
  const long long n = t.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(t.device().index);
  fill_indices_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<long long*>(t.data_ptr()), n, seed,
                                                                   bound);
  XLM_CUDA_CHECK_LAUNCH();
}

void device_copy(void* dst, const void* src, size_t bytes) {
  XLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, context().stream));
}

void gemm_bf16(const Tensor& a, const Tensor& b, Tensor& c, int64_t m, int64_t n, int64_t k) {
  check_dtype(a, DType::bf16, "gemm_bf16", "a");
  check_dtype(b, DType::bf16, "gemm_bf16", "b");
  check_dtype(c, DType::bf16, "gemm_bf16", "c");
  XLM_CHECK(a.numel() == m * k && b.numel() == k * n && c.numel() == m * n, ShapeError,
            "gemm_bf16: buffers {}, {}, {} do not hold ({}, {}, {})", a.describe(), b.describe(), c.describe(), m,
            n, k);
  CudaContext& ctx = context();
  const float alpha = 1.0f, beta = 0.0f;
  // Column-major C (m, n) = A (m, k) * B (k, n); the layout does not change the rate.
  XLM_CUBLAS_CHECK(cublasGemmEx(ctx.blas, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(m), static_cast<int>(n),
                                static_cast<int>(k), &alpha, a.data_ptr(), CUDA_R_16BF, static_cast<int>(m),
                                b.data_ptr(), CUDA_R_16BF, static_cast<int>(k), &beta, c.data_ptr(), CUDA_R_16BF,
                                static_cast<int>(m), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

std::string cudnn_attention_unavailable() {
#if XLM_WITH_CUDNN_FRONTEND
  // The frontend's SDPA graph needs cuDNN 9 at run time (the wheel beside
  // PyTorch may differ from the headers this was built with).
  if (cudnnGetVersion() < 90000)
    return fmt::format("cuDNN runtime {} is older than 9.0, which the frontend's SDPA graph needs", cudnnGetVersion());
  return "";
#elif XLM_WITH_CUDNN
  return fmt::format(
      "cuDNN {} was found at build time but not the cudnn_frontend header its SDPA graph is built with "
      "(scripts/fetch-cudnn-frontend, docs/kernels.md); compare with torch_cudnn from "
      "benchmarks/peers/torch_kernels.py instead",
      CUDNN_VERSION);
#else
  return "cuDNN was not found at build time";
#endif
}

}  // namespace xlm::bench
