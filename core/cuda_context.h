// Per-GPU state shared by every CUDA op: one stream (all our work on a device
// is ordered on it), a cuBLASLt handle with its workspace, a cuBLAS handle,
// the stream-ordered memory pool and the device properties. Include only from
// CUDA-only sources (*_cuda.cu / *_cuda.cpp).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace xlm {

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  cublasHandle_t blas = nullptr;
  void* lt_workspace = nullptr;  // (lt_workspace_bytes,) bytes on the device
  size_t lt_workspace_bytes = 0;
  cudaMemPool_t pool = nullptr;
  cudaDeviceProp props{};

  // Created on first use, for the lifetime of the process; makes `device` current.
  static CudaContext& get(int device);
};

// Host memory page-locked for fast, asynchronous transfers; grows on demand.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer();
  void* reserve(size_t bytes);  // returns a block of at least `bytes`
 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Threads per block and a grid size covering n elements.
constexpr int kThreads = 256;
inline unsigned blocks_for(long long n, int threads = kThreads) {
  long long b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535LL * 32) b = 65535LL * 32;  // kernels use grid-stride loops
  return static_cast<unsigned>(b);
}

}  // namespace xlm
