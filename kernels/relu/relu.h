// ReLU, the FFN activation when XLM runs with --gelu_activation false.
//   relu(x):              x any shape -> y same shape, same dtype, y = max(x, 0)
//   relu_backward(x, gy): dL/dx = gy * (x > 0)  (the subgradient at 0 is taken as 0,
//                         as in PyTorch, so the gradient never depends on -0.0 vs 0.0)
// CPU: f32, f64. CUDA: f32, bf16, f16 (compared in fp32).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor relu(const Tensor& x);
Tensor relu_backward(const Tensor& x, const Tensor& grad_y);

// Backend twins (write into preallocated outputs of x's shape and dtype).
void relu_forward_cpu(const Tensor& x, Tensor& y);
void relu_backward_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_x);
void relu_forward_cuda(const Tensor& x, Tensor& y);
void relu_backward_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_x);

}  // namespace xlm
