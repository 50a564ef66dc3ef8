// Mean over the last dimension.
//   mean_last(x, keepdim): x [..., C] (rank >= 1) -> y [...] (or [..., 1] with keepdim);
//                          a 1-D x gives a 0-dim y; C = 0 gives NaN (0 / 0)
//   backward:              grad_x[..., c] = g[...] / C
// The twins are sum_last's row reduction with scale 1 / C (kernels/sum_last/sum_last.h).
// CPU: f32, f64 (accumulated in f64). CUDA: f32, bf16, f16 (fp32 accumulation).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor mean_last(const Tensor& x, bool keepdim = false);

// Backend twins. x (rows, C) -> y (rows,); grad_y (rows,) -> grad_x (rows, C).
void mean_last_forward_cpu(const Tensor& x, Tensor& y);
void mean_last_backward_cpu(const Tensor& grad_y, Tensor& grad_x);
void mean_last_forward_cuda(const Tensor& x, Tensor& y);
void mean_last_backward_cuda(const Tensor& grad_y, Tensor& grad_x);

}  // namespace xlm
