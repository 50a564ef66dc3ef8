// The (B, T) keep-mask of a padded batch, built where the lengths live, so a
// forward pass never copies lengths to the host (docs/performance.md):
//   length_mask(lengths, T, start, dtype): lengths (B) i32/i64 -> keep (B, T) in
//     `dtype`, keep[b, t] = 1 where start + t < lengths[b], else 0. `start` is
//     the absolute position of column 0 (a decoder cache's length). Any length
//     value is safe (the twins only compare it); range checks are the caller's
//     (kernels/length_mask/length_check.h). No gradient (lengths are integers).
// CPU: f32, f64. CUDA: f32, bf16, f16 (0 and 1 are exact in each).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor length_mask(const Tensor& lengths, int64_t T, int64_t start, DType dtype);

// Backend twins: write every element of keep (B, T).
void length_mask_forward_cpu(const Tensor& lengths, int64_t start, Tensor& keep);
void length_mask_forward_cuda(const Tensor& lengths, int64_t start, Tensor& keep);

}  // namespace xlm
