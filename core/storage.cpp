// Host side of Storage plus the device-independent copy/zero entry points;
// the CUDA halves live in core/cuda_context_cuda.cpp. Host blocks come from
// core/host_block_cache.h, which reuses freed ones across training steps.
#include "core/storage.h"

#include "core/error.h"
#include "core/host_block_cache.h"
#include "core/host_reads.h"
#include "core/resource_error.h"
#include "xlm/config.h"

#include <cstdlib>
#include <cstring>

namespace xlm {

#if XLM_WITH_CUDA
void* cuda_allocate(size_t bytes, int device);
void cuda_free(void* ptr, int device);
void cuda_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void cuda_zero(void* dst, int device, size_t bytes);
void cuda_synchronize(int device);
#endif

#if !XLM_WITH_CUDA
namespace {
[[noreturn]] void no_cuda() {
  throw DeviceError("a CUDA device was requested but this build has no CUDA backend (configured with XLM_CUDA=OFF or without the toolkit)");
}
}  // namespace
#endif

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  if (device.is_cpu()) {
    void* p = host_block_allocate(bytes);
    if (p == nullptr) throw ResourceError(out_of_memory_message(bytes, "cpu"));
    return std::shared_ptr<Storage>(new Storage(p, bytes, device, [p, bytes] { host_block_free(p, bytes); }));
  }
#if XLM_WITH_CUDA
  const size_t padded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  void* p = cuda_allocate(padded, device.index);
  const int index = device.index;
  return std::shared_ptr<Storage>(new Storage(p, bytes, device, [p, index] { cuda_free(p, index); }));
#else
  no_cuda();
#endif
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t bytes, Device device, std::function<void()> release) {
  return std::shared_ptr<Storage>(new Storage(data, bytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    // From the stand-in accelerator cpu:1 to the host: the wait a GPU run would make.
    if (dst_device == Device::cpu() && src_device != Device::cpu()) count_host_transfer();
    std::memcpy(dst, src, bytes);
    return;
  }
#if XLM_WITH_CUDA
  if (dst_device.is_cpu()) count_host_transfer();  // device -> host: the host waits (core/host_reads.h)
  cuda_copy(dst, dst_device, src, src_device, bytes);
#else
  no_cuda();
#endif
}

void zero_bytes(void* dst, Device device, size_t bytes) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    std::memset(dst, 0, bytes);
    return;
  }
#if XLM_WITH_CUDA
  cuda_zero(dst, device.index, bytes);
#else
  no_cuda();
#endif
}

void synchronize(Device device) {
  if (device.is_cpu()) return;
#if XLM_WITH_CUDA
  cuda_synchronize(device.index);
#else
  no_cuda();
#endif
}

}  // namespace xlm
