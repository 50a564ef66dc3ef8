// Per-row scaling: XLM zeroes padding positions with `tensor *= mask.unsqueeze(-1)`;
// this is that product as one op, without materializing the broadcast mask.
//   scale_rows(x, row_scale): x (..., C) floating, rank >= 1; row_scale (...) = x's shape
//                             without the last dim (0-dim for a 1-D x), same dtype and
//                             device -> y (..., C), y[..., c] = x[..., c] * row_scale[...]
//   backward:                 dL/dx         = g * row_scale            (scale_rows(g, row_scale))
//                             dL/drow_scale = sum_c g[..., c] * x[..., c]  (scale_rows_grad_scale)
// CPU: f32, f64 (the row sums accumulate in f64). CUDA: f32, bf16, f16 (fp32 math and
// accumulation).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor scale_rows(const Tensor& x, const Tensor& row_scale);
// (..., C), (..., C) -> (...): the gradient of row_scale, sum_c grad_y * x.
Tensor scale_rows_grad_scale(const Tensor& x, const Tensor& grad_y);

// Backend twins (write into preallocated outputs).
void scale_rows_forward_cpu(const Tensor& x, const Tensor& row_scale, Tensor& y);
void scale_rows_grad_scale_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_scale);
void scale_rows_forward_cuda(const Tensor& x, const Tensor& row_scale, Tensor& y);
void scale_rows_grad_scale_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_scale);

}  // namespace xlm
