// The CHECK family for CUDA libraries: wraps a call, and on failure throws
// xlm::BackendError naming the library, its error string, the expression,
// file and line. Include only from CUDA-only sources (*_cuda.cu/*_cuda.cpp).
// A GPU that fails or disappears mid-run is told apart (ResourceError), since
// the fix is a different GPU, not a different program.
#pragma once

#include "core/error.h"
#include "xlm/config.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace xlm::detail {
// BackendError as throw_check_failure does, except for the errors that mean the
// GPU failed or went away (devices unavailable, no device, launch failure, ECC,
// hardware stack error): those are a ResourceError saying to restart on a
// healthy GPU (core/resource_error.h). Defined in core/cuda_failure_cuda.cpp.
[[noreturn]] void throw_cuda_failure(cudaError_t status, const char* expr, const char* file, int line);
}  // namespace xlm::detail

#define XLM_CUDA_CHECK(expr)                                                                     \
  do {                                                                                           \
    cudaError_t xlm_status_ = (expr);                                                            \
    if (xlm_status_ != cudaSuccess) ::xlm::detail::throw_cuda_failure(xlm_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define XLM_CUBLAS_CHECK(expr)                                                                   \
  do {                                                                                           \
    cublasStatus_t xlm_status_ = (expr);                                                         \
    if (xlm_status_ != CUBLAS_STATUS_SUCCESS)                                                    \
      ::xlm::detail::throw_check_failure("cuBLAS", #expr, __FILE__, __LINE__,                    \
                                         cublasGetStatusString(xlm_status_));                    \
  } while (0)

// Checks the launch of the kernel just issued (configuration errors surface here;
// execution errors surface at the next synchronizing call).
#define XLM_CUDA_CHECK_LAUNCH() XLM_CUDA_CHECK(cudaGetLastError())

#if XLM_WITH_CUDNN
#include <cudnn.h>
#define XLM_CUDNN_CHECK(expr)                                                                    \
  do {                                                                                           \
    cudnnStatus_t xlm_status_ = (expr);                                                          \
    if (xlm_status_ != CUDNN_STATUS_SUCCESS)                                                     \
      ::xlm::detail::throw_check_failure("cuDNN", #expr, __FILE__, __LINE__,                     \
                                         cudnnGetErrorString(xlm_status_));                      \
  } while (0)
#endif

#if XLM_WITH_NCCL
#include <nccl.h>
#define XLM_NCCL_CHECK(expr)                                                                     \
  do {                                                                                           \
    ncclResult_t xlm_status_ = (expr);                                                           \
    if (xlm_status_ != ncclSuccess)                                                              \
      ::xlm::detail::throw_check_failure("NCCL", #expr, __FILE__, __LINE__,                      \
                                         ncclGetErrorString(xlm_status_));                       \
  } while (0)
#endif
