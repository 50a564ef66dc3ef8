// GELU in the exact erf form XLM uses: y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
//   gelu(x):              x any shape -> y same shape, same dtype
//   gelu_backward(x, gy): dL/dx = gy * (Phi(x) + x * phi(x))
// CPU: f32, f64. CUDA: f32, bf16, f16 (computed in fp32).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor gelu(const Tensor& x);
Tensor gelu_backward(const Tensor& x, const Tensor& grad_y);

// Backend twins (write into preallocated outputs of x's shape and dtype).
void gelu_forward_cpu(const Tensor& x, Tensor& y);
void gelu_backward_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_x);
void gelu_forward_cuda(const Tensor& x, Tensor& y);
void gelu_backward_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_x);

}  // namespace xlm
