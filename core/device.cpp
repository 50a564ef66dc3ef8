// Device naming, and the device count that works in CPU-only builds too.
#include "core/device.h"

#include "core/error.h"
#include "xlm/config.h"

#include <cstdlib>

namespace xlm {

#if XLM_WITH_CUDA
int cuda_device_count_impl();  // core/cuda_context_cuda.cpp
#endif

std::string Device::str() const {
  if (is_cpu()) return index == 0 ? "cpu" : fmt::format("cpu:{}", index);
  return fmt::format("cuda:{}", index);
}

Device Device::parse(const std::string& s) {
  if (s == "cpu" || s == "cpu:0") return cpu();
  if (s == "cpu:1") return {Kind::cpu, 1};  // the stand-in accelerator (core/device.h)
  if (s == "cuda") return cuda(0);
  if (s.rfind("cuda:", 0) == 0 && s.size() > 5) {
    char* end = nullptr;
    long i = std::strtol(s.c_str() + 5, &end, 10);
    if (*end == '\0' && i >= 0) return cuda(static_cast<int>(i));
  }
  throw DeviceError(fmt::format("invalid device '{}': expected cpu, cuda or cuda:N (or cpu:1, the CPU stand-in)", s));
}

int cuda_device_count() {
#if XLM_WITH_CUDA
  static const int count = cuda_device_count_impl();
  return count;
#else
  return 0;
#endif
}

}  // namespace xlm
