// Range check shared by the ops that read rows by index (embedding,
// gather_rows). A bad id becomes an IndexError naming the id, its position and
// the bound, never an out-of-bounds read. CPU indices are checked on the host
// before the twin runs. CUDA indices are not copied back (that would make the
// host wait for the device at every lookup): the CUDA twins check each index
// as they read it, write zeros (forward) or skip the row (backward) for a bad
// one and record it in the device error slot (core/device_errors.h), and the
// host raises the same message plus "(detected on the device)" at its next
// device read or cuda_synchronize.
#pragma once

#include "core/device_errors.h"
#include "core/tensor.h"

namespace xlm {

// Throws DTypeError unless `index` is i32 or i64.
void check_index_dtype(const Tensor& index, const char* op, const char* arg);

// On the CPU: throws IndexError for the first element of `index` outside
// [0, upper); `what` names the bound in the message (e.g. "weight rows V").
// On a device it does nothing: the CUDA twin checks (index_range_raiser).
void check_indices_in_range(const Tensor& index, int64_t upper, const char* op, const char* arg, const char* what);

// What a CUDA twin registers with expect_device_error for the same check: it
// throws the CPU check's IndexError for (flat position, value), marked as
// detected on the device.
DeviceErrorRaiser index_range_raiser(const Tensor& index, int64_t upper, const char* op, const char* arg,
                                     const char* what);

}  // namespace xlm
