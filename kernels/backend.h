// Device dispatch for op fronts: calls <fn>_cpu or <fn>_cuda with the same
// arguments. Backend functions return void and write into outputs the front
// has allocated, so both twins share one signature (declared in <op>.h).
// Every call goes through a profile::BackendCall (core/op_profile.h): free
// unless a profile session is open on the thread.
#pragma once

#include "core/error.h"
#include "core/op_profile.h"
#include "core/tensor.h"
#include "xlm/config.h"

namespace xlm {
[[noreturn]] inline void no_cuda_backend(const char* op) {
  throw DeviceError(fmt::format("{}: tensor is on a CUDA device but this build has no CUDA backend", op));
}
}  // namespace xlm

#if XLM_WITH_CUDA
#define XLM_CALL_BACKEND(device, fn, ...)          \
  (::xlm::profile::BackendCall((device), #fn), \
   (device).is_cuda() ? fn##_cuda(__VA_ARGS__) : fn##_cpu(__VA_ARGS__))
#else
#define XLM_CALL_BACKEND(device, fn, ...)          \
  (::xlm::profile::BackendCall((device), #fn), \
   (device).is_cuda() ? ::xlm::no_cuda_backend(#fn) : fn##_cpu(__VA_ARGS__))
#endif
