// XLM_CUDA_CHECK's failure path (core/cuda_check.h). Only a few CUDA errors
// mean "the device is gone or broken" rather than "this program is wrong";
// those get the one-line ResourceError a user can act on (restart elsewhere,
// the run resumes from its newest complete checkpoint). Everything else keeps
// the BackendError with expression, file and line, for a bug report:
// cudaErrorLaunchFailure among them, since NVIDIA names a bad pointer or an
// out-of-bounds shared-memory access in a kernel as its common causes.
#include "core/cuda_check.h"
#include "core/resource_error.h"

#include <fmt/format.h>

namespace xlm::detail {

namespace {

bool device_lost(cudaError_t status) {
  switch (status) {
    case cudaErrorDevicesUnavailable:
    case cudaErrorNoDevice:
    case cudaErrorECCUncorrectable:
    case cudaErrorHardwareStackError:
      return true;
    default:
      return false;
  }
}

}  // namespace

void throw_cuda_failure(cudaError_t status, const char* expr, const char* file, int line) {
  // A failed runtime call also sets the thread's last error; cleared here, a
  // caller that catches this exception does not see it again at the next
  // kernel's launch check, blamed on that kernel. (Sticky errors stay.)
  (void)cudaGetLastError();
  if (device_lost(status)) {
    int device = -1;
    const std::string name = cudaGetDevice(&device) == cudaSuccess ? fmt::format("cuda:{}", device) : "the GPU";
    throw ResourceError(device_lost_message(name, fmt::format("{}: {}", cudaGetErrorName(status),
                                                              cudaGetErrorString(status)),
                                            expr, file, line));
  }
  throw_check_failure("CUDA", expr, file, line, cudaGetErrorString(status));
}

}  // namespace xlm::detail
