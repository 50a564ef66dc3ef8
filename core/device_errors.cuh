// Kernel side of core/device_errors.h: the launch's slot and tag, and the one
// call a thread makes when it meets a value it must not use. atomicCAS on the
// tag lets exactly one thread (of the first launch that records anything
// since the last drain) write position and value; the host reads them only
// after the stream has drained, so plain stores are visible by then.
#pragma once

#include "core/device_errors.h"

namespace xlm {

__device__ inline void record_device_error(DeviceCheck check, long long position, long long value) {
  if (atomicCAS(reinterpret_cast<unsigned int*>(&check.slot->tag), 0u, check.tag) == 0u) {
    check.slot->position = position;
    check.slot->value = value;
  }
}

}  // namespace xlm
