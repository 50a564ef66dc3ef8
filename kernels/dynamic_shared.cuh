// Dynamic shared memory beyond the 48 KiB every kernel may use without
// asking. Both that default and the opt-in maximum bound a block's static
// plus dynamic shared memory, so the kernel's static part (read back with
// cudaFuncGetAttributes, not assumed) counts: a row whose dynamic bytes
// alone fit under 48 KiB may still need the opt-in. One helper for every
// kernel that sizes its shared memory at run time (attention,
// residual_layer_norm). Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "core/cuda_check.h"
#include "core/error.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace xlm {

constexpr size_t kDefaultSharedBytes = 48 * 1024;  // per block, without cudaFuncSetAttribute

// Lets `kernel` launch on the current device with `dynamic_bytes` of dynamic
// shared memory per block. ShapeError "<op>: <size_name> = <size> need N
// bytes of shared memory per block, this GPU allows M" when the device cannot
// give that much (the message is formatted only then: this runs per launch).
template <typename Kernel>
void reserve_dynamic_shared(Kernel kernel, size_t dynamic_bytes, const char* op, const char* size_name,
                            long long size) {
  cudaFuncAttributes attributes{};
  XLM_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
  const size_t total = dynamic_bytes + attributes.sharedSizeBytes;
  if (total <= kDefaultSharedBytes) return;
  int device = 0, optin = 0;
  XLM_CUDA_CHECK(cudaGetDevice(&device));
  XLM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  XLM_CHECK(total <= static_cast<size_t>(optin), ShapeError,
            "{}: {} = {} need {} bytes of shared memory per block, this GPU allows {}", op, size_name, size, total,
            optin);
  XLM_CUDA_CHECK(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(dynamic_bytes)));
}

}  // namespace xlm
