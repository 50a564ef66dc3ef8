// Cast: converts a tensor's elements to another dtype (a new tensor, same shape).
//   cast(x, to): any pair among f32, f64, bf16, f16, i32, i64, u8; same dtype -> a copy.
// The rules, identical bit for bit on the CPU and on CUDA:
//   floating -> floating: one round to nearest even from the exact value
//     (f64 -> bf16/f16 rounds to odd in f32 first, so there is no double rounding);
//     overflow gives +-inf, subnormals are kept; NaN -> the target's canonical
//     quiet NaN with the input's sign.
//   integer -> floating: through f64 (exact for i32/u8; i64 beyond 2^53 rounds there first).
//   floating -> integer: truncation toward zero, saturating at the target's range; NaN -> 0.
//   integer -> integer: two's complement wrap-around (the low bits).
// Differentiable between floating dtypes: dL/dx = cast(dL/dy, x.dtype()).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor cast(const Tensor& x, DType to);

// Backend twins: y is preallocated with x's shape in the target dtype (different from x's).
void cast_forward_cpu(const Tensor& x, Tensor& y);
void cast_forward_cuda(const Tensor& x, Tensor& y);

}  // namespace xlm
