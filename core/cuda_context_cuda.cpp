// The CUDA half of core/: device contexts, stream-ordered allocation from the
// device's default memory pool (kept warm with a release threshold of
// "never", so steady-state training does no cudaMalloc), copies (host to
// device asynchronous through the pinned ring of core/pinned_ring_cuda.h;
// device to host synchronous through one pinned block, since the caller reads
// the bytes) and the device count. Every point that drains the stream (a
// device-to-host copy, cuda_synchronize) then reports what the kernels
// recorded in the device error slot (core/device_errors.h).
#include "core/cuda_context.h"

#include "core/cuda_check.h"
#include "core/device.h"
#include "core/device_errors_cuda.h"
#include "core/error.h"
#include "core/pinned_ring_cuda.h"
#include "core/resource_error.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace xlm {

int cuda_device_count_impl() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no device: report zero, not an error
    return 0;
  }
  return n;
}

CudaContext& CudaContext::get(int device) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaContext>> contexts;
  std::lock_guard<std::mutex> lock(mutex);
  const int count = cuda_device_count();
  XLM_CHECK(device >= 0 && device < count, DeviceError, "cuda:{} requested but {} CUDA device(s) are visible",
            device, count);
  if (contexts.empty()) contexts.resize(static_cast<size_t>(count));
  auto& slot = contexts[static_cast<size_t>(device)];
  XLM_CUDA_CHECK(cudaSetDevice(device));
  if (!slot) {
    auto ctx = std::make_unique<CudaContext>();
    ctx->device = device;
    XLM_CUDA_CHECK(cudaGetDeviceProperties(&ctx->props, device));
    XLM_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    XLM_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&ctx->pool, device));
    uint64_t threshold = UINT64_MAX;
    XLM_CUDA_CHECK(cudaMemPoolSetAttribute(ctx->pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    XLM_CUBLAS_CHECK(cublasLtCreate(&ctx->lt));
    XLM_CUBLAS_CHECK(cublasCreate(&ctx->blas));
    XLM_CUBLAS_CHECK(cublasSetStream(ctx->blas, ctx->stream));
    ctx->lt_workspace_bytes = 32u << 20;  // 32 MiB, as recommended for Hopper
    XLM_CUDA_CHECK(cudaMallocAsync(&ctx->lt_workspace, ctx->lt_workspace_bytes, ctx->stream));
    slot = std::move(ctx);
  }
  return *slot;
}

PinnedBuffer::~PinnedBuffer() {
  if (data_ != nullptr) cudaFreeHost(data_);
}

void* PinnedBuffer::reserve(size_t bytes) {
  if (bytes > bytes_) {
    if (data_ != nullptr) XLM_CUDA_CHECK(cudaFreeHost(data_));
    data_ = nullptr;
    XLM_CUDA_CHECK(cudaMallocHost(&data_, bytes));
    bytes_ = bytes;
  }
  return data_;
}

void* cuda_allocate(size_t bytes, int device) {
  CudaContext& ctx = CudaContext::get(device);
  void* p = nullptr;
  cudaError_t status = cudaMallocAsync(&p, bytes, ctx.stream);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    throw ResourceError(out_of_memory_message(bytes, fmt::format("cuda:{}", device)));
  }
  XLM_CUDA_CHECK(status);
  return p;
}

void cuda_free(void* ptr, int device) {
  // Called from destructors, also while an exception unwinds: never throw. A
  // failure here means the context is already broken and the first error is
  // on its way to the user.
  try {
    CudaContext& ctx = CudaContext::get(device);
    (void)cudaFreeAsync(ptr, ctx.stream);
  } catch (...) {
  }
}

void cuda_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (dst_device.is_cuda() && src_device.is_cuda()) {
    CudaContext& ctx = CudaContext::get(src_device.index);
    if (dst_device.index == src_device.index) {
      XLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx.stream));
    } else {
      CudaContext& dst_ctx = CudaContext::get(dst_device.index);
      XLM_CUDA_CHECK(cudaStreamSynchronize(dst_ctx.stream));
      XLM_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, bytes, ctx.stream));
      XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    }
    return;
  }
  if (dst_device.is_cuda()) {  // host -> device: queued on the stream, no wait (core/pinned_ring_cuda.h)
    pinned_ring_upload(dst, src, bytes, CudaContext::get(dst_device.index));
    return;
  }
  // device -> host: the caller reads the bytes, so this one waits.
  static PinnedBuffer staging;  // one staging block per process; copies through it are serialized
  static std::mutex staging_mutex;
  CudaContext& ctx = CudaContext::get(src_device.index);
  {
    std::lock_guard<std::mutex> lock(staging_mutex);
    void* pinned = staging.reserve(bytes);
    XLM_CUDA_CHECK(cudaMemcpyAsync(pinned, src, bytes, cudaMemcpyDeviceToHost, ctx.stream));
    XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    std::memcpy(dst, pinned, bytes);
  }
  raise_device_errors(src_device.index);  // the stream is drained: report a kernel's recorded bad index
}

void cuda_zero(void* dst, int device, size_t bytes) {
  CudaContext& ctx = CudaContext::get(device);
  XLM_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, ctx.stream));
}

void cuda_synchronize(int device) {
  CudaContext& ctx = CudaContext::get(device);
  XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  raise_device_errors(device);
}

}  // namespace xlm
