// One DeviceErrorSlot per device, allocated (and zeroed) on first use with
// plain cudaMalloc so it outlives the stream-ordered pool's churn, and one
// ledger per device behind a mutex (the prefetch thread never launches
// kernels, but evaluation threads may). Reading the slot is a small
// synchronous copy made only where the host has just drained the stream and
// only when a checked launch happened since the last read.
#include "core/device_errors_cuda.h"

#include "core/cuda_check.h"
#include "core/cuda_context.h"

#include <memory>
#include <mutex>
#include <unordered_map>

namespace xlm {

namespace {

struct DeviceErrors {
  std::mutex mutex;
  DeviceErrorSlot* slot = nullptr;  // (1,) on the device
  DeviceErrorLedger ledger;
};

DeviceErrors& errors_for(int device) {
  static std::mutex mutex;
  static std::unordered_map<int, DeviceErrors*> all;  // never freed: static destructors outlive the runtime
  std::lock_guard<std::mutex> lock(mutex);
  DeviceErrors*& e = all[device];
  if (e == nullptr) {
    CudaContext& ctx = CudaContext::get(device);
    auto fresh = std::make_unique<DeviceErrors>();
    XLM_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&fresh->slot), sizeof(DeviceErrorSlot)));
    XLM_CUDA_CHECK(cudaMemsetAsync(fresh->slot, 0, sizeof(DeviceErrorSlot), ctx.stream));
    e = fresh.release();
  }
  return *e;
}

}  // namespace

DeviceCheck expect_device_error(int device, DeviceErrorRaiser raise) {
  DeviceErrors& e = errors_for(device);
  std::lock_guard<std::mutex> lock(e.mutex);
  DeviceCheck check;
  check.slot = e.slot;
  check.tag = e.ledger.expect(std::move(raise));
  return check;
}

void raise_device_errors(int device) {
  DeviceErrors& e = errors_for(device);
  std::lock_guard<std::mutex> lock(e.mutex);
  if (!e.ledger.pending()) return;
  CudaContext& ctx = CudaContext::get(device);
  DeviceErrorSlot host{};
  XLM_CUDA_CHECK(cudaMemcpyAsync(&host, e.slot, sizeof host, cudaMemcpyDeviceToHost, ctx.stream));
  XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  if (host.tag != 0) {
    XLM_CUDA_CHECK(cudaMemsetAsync(e.slot, 0, sizeof(DeviceErrorSlot), ctx.stream));
    XLM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }
  e.ledger.drain(host);
}

}  // namespace xlm
