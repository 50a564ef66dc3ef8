// Host side of the device error slot (core/device_errors.h) for CUDA-only
// sources: register a checked launch, and raise what the kernels recorded.
#pragma once

#include "core/device_errors.h"

namespace xlm {

// The slot of `device` and a fresh tag whose error `raise` words. Thread-safe.
DeviceCheck expect_device_error(int device, DeviceErrorRaiser raise);

// Call only after the device's stream has drained: throws the recorded error
// (and clears the slot) if a kernel recorded one; a no-op when no checked
// launch happened since the last call.
void raise_device_errors(int device);

}  // namespace xlm
