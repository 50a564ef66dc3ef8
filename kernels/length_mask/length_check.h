// Range check of per-row lengths (B) i32/i64 without a device read: shared by
// TransformerModel::forward (lengths in [1, start + T]) and attention
// (key lengths in [0, Tk]). CPU lengths are checked at once. CUDA lengths are
// checked by a one-thread-per-row kernel that records the first bad entry in
// the device error slot (core/device_errors.h); the host raises it at its
// next device read or cuda_synchronize, with " (detected on the device)"
// appended. The kernels that consume lengths must therefore stay safe for any
// value until then (length_mask only compares; attention clamps).
#pragma once

#include "core/tensor.h"

#include <functional>
#include <string>

namespace xlm {

// Throws the caller's error for row b with value v; `suffix` is appended to
// the message ("" on the CPU, " (detected on the device)" on a device).
using LengthErrorThrower = std::function<void(int64_t b, int64_t v, const std::string& suffix)>;

void check_lengths_in_range(const Tensor& lengths, int64_t lo, int64_t hi, LengthErrorThrower thrower);

// The CUDA half (launches the check kernel; CUDA builds only).
void check_lengths_in_range_cuda(const Tensor& lengths, int64_t lo, int64_t hi, LengthErrorThrower thrower);

}  // namespace xlm
