// Debug counters of the points where a GPU run waits for the device to drain,
// so a training step that wants to stay ahead of the GPU must make none
// (docs/performance.md, "What a training step synchronises"):
//   - scalar reads: Tensor::item() and code that reads a device flag by other
//     means (the fp16 finite check calls count_host_read() on every backend);
//   - blocking transfers: every device-to-host copy of tensor bytes, bulk ones
//     included (Tensor::to_vector / to_doubles / item, Tensor::to(cpu) and
//     copy_bytes from a device). On a CUDA tensor the copy itself counts
//     (core/storage.cpp); on a CPU tensor to_vector / to_doubles count too, so
//     a CPU-only test sees the count a GPU run would, where the same code reads
//     a tensor that lives on the model's device.
// Host-side code that reads a tensor it built on the host (batch builders)
// uses host_values(), which does not count on a CPU tensor: on a GPU run that
// tensor is still on the host and reading it waits for nothing.
// Atomic: the batch prefetch thread may read too.
#pragma once

#include <cstdint>
#include <vector>

namespace xlm {

class Tensor;

// Records one device-to-host scalar read.
void count_host_read();

// Reads recorded since the process started (tests take differences).
int64_t host_read_count();

// Records one blocking device-to-host transfer (any size).
void count_host_transfer();

// Transfers recorded since the process started (tests take differences).
int64_t host_transfer_count();

// The values of a tensor the caller built on the host (i32, i64, f32, f64,
// u8; T must match the dtype). Free and uncounted on a CPU tensor; on a
// device tensor it is a counted blocking transfer, like to_vector.
template <typename T>
std::vector<T> host_values(const Tensor& t);

// host_values of an i32 or i64 tensor (ids, lengths) widened to int64
// (DTypeError for other dtypes).
std::vector<int64_t> host_int64_values(const Tensor& t);

// What a CPU twin reads of its own index inputs (ids, lengths, targets): an
// i32 or i64 tensor in host memory, widened to int64, never counted. On the
// stand-in device cpu:1 (core/device.h) the twin plays the GPU kernel, which
// reads its device's memory without a transfer. DeviceError off the host.
std::vector<int64_t> kernel_int64_values(const Tensor& t);

}  // namespace xlm
