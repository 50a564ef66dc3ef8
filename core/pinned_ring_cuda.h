// Asynchronous host-to-device copies through a pinned staging ring (one per
// device, core/pinned_ring.h for the rules). Include only from CUDA-only sources.
#pragma once

#include <cstddef>

namespace xlm {

struct CudaContext;

// Queues a copy of `bytes` host bytes at `src` to device memory `dst` on the
// context's stream and returns without waiting for the device; `src` may be
// freed or overwritten as soon as this returns. Thread-safe.
void pinned_ring_upload(void* dst, const void* src, size_t bytes, CudaContext& ctx);

}  // namespace xlm
