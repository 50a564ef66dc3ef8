// Maximum over the last dimension.
//   max_last(x, keepdim): x [..., C] (rank >= 1, C >= 1) -> values [...] (or [..., 1]);
//                         a 1-D x gives a 0-dim result
//   backward:             grad_x[..., c] = g[...] at the first c attaining the max, 0 elsewhere
// The argmax rule is fixed so that CPU and CUDA route the gradient to the same
// element: the largest value wins, NaN counts as larger than any number (NaN
// propagates, as in PyTorch), and ties go to the lowest index.
// CPU: f32, f64. CUDA: f32, bf16, f16 (compared in fp32, one warp per row).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor max_last(const Tensor& x, bool keepdim = false);

// Backend twins. x (rows, C) -> values (rows,) in x's dtype, indices (rows,) i64;
// indices (rows,), grad_values (rows,) -> grad_x (rows, C), written in full (zeros off the argmax).
void max_last_forward_cpu(const Tensor& x, Tensor& values, Tensor& indices);
void max_last_backward_cpu(const Tensor& indices, const Tensor& grad_values, Tensor& grad_x);
void max_last_forward_cuda(const Tensor& x, Tensor& values, Tensor& indices);
void max_last_backward_cuda(const Tensor& indices, const Tensor& grad_values, Tensor& grad_x);

}  // namespace xlm
