// A debug counter of device-to-host scalar reads: each one is a point where a
// GPU run waits for the device to drain, so a training step that wants to stay
// ahead of the GPU must not make any (docs/performance.md). It counts on every
// device, CPU included, so that a CPU-only test sees exactly the count a GPU
// run would: Tensor::item() counts itself, and code that reads a device flag
// by other means (the fp16 finite check) calls count_host_read() on every
// backend. Bulk copies (to_vector of index tensors) are not scalar reads and
// are not counted. Atomic: the batch prefetch thread may read too.
#pragma once

#include <cstdint>

namespace xlm {

// Records one device-to-host scalar read.
void count_host_read();

// Reads recorded since the process started (tests take differences).
int64_t host_read_count();

}  // namespace xlm
