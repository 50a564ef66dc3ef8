// Sum over the last dimension.
//   sum_last(x, keepdim): x [..., C] (rank >= 1) -> y [...] (or [..., 1] with keepdim);
//                         a 1-D x gives a 0-dim y (shape [], one element)
//   backward:             grad_x[..., c] = g[...] for every c
// The backend twins take a `scale` applied to the sums (forward) and to the
// broadcast gradient (backward), so mean_last reuses them with scale = 1 / C
// and the row reduction is written once per backend.
// CPU: f32, f64 (accumulated in f64). CUDA: f32, bf16, f16 (one warp per row,
// accumulated in fp32).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor sum_last(const Tensor& x, bool keepdim = false);

// x's shape without its last dim, or with it set to 1 (keepdim); shared by the *_last reductions.
Shape reduce_last_shape(const Shape& x_shape, bool keepdim);

// Backend twins. x (rows, C) -> y (rows,) = scale * sum_c x; grad_y (rows,) -> grad_x (rows, C) = scale * grad_y.
void sum_last_forward_cpu(const Tensor& x, double scale, Tensor& y);
void sum_last_backward_cpu(const Tensor& grad_y, double scale, Tensor& grad_x);
void sum_last_forward_cuda(const Tensor& x, double scale, Tensor& y);
void sum_last_backward_cuda(const Tensor& grad_y, double scale, Tensor& grad_x);

}  // namespace xlm
