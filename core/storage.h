// A reference-counted block of bytes on one device. Tensors are views into a
// Storage (offset + shape), so reshape and leading-dimension slices are free.
// Device blocks come from the stream-ordered cudaMallocAsync pool of the
// device's context; host blocks are 64-byte aligned so that vector loads and
// BLAS never see a misaligned pointer; wrapped blocks (mmap'd safetensors)
// run their own release function.
#pragma once

#include "core/device.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace xlm {

class Storage {
 public:
  static std::shared_ptr<Storage> allocate(size_t bytes, Device device);
  // Adopts memory owned elsewhere; `release` runs when the last view goes away.
  static std::shared_ptr<Storage> wrap(void* data, size_t bytes, Device device, std::function<void()> release);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage(void* data, size_t bytes, Device device, std::function<void()> release)
      : data_(data), bytes_(bytes), device_(device), release_(std::move(release)) {}
  void* data_;
  size_t bytes_;
  Device device_;
  std::function<void()> release_;
};

// Raw copies between any two devices (stream-ordered on the GPU; a copy to the
// host waits for the stream so the bytes are ready on return).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
// Sets bytes to zero (cudaMemsetAsync on the GPU).
void zero_bytes(void* dst, Device device, size_t bytes);
// Blocks until all work queued on the device's stream is done (no-op on the CPU).
void synchronize(Device device);


}  // namespace xlm
