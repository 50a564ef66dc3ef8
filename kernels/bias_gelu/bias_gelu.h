// The FFN's first activation as one op: y = gelu(x + b), exact erf GELU.
// Fused so that the GPU reads the GEMM output once and never stores x + b;
// the backward recomputes x + b and produces grad_b in the same pass.
//   bias_gelu(x, b):  x (..., N) floating, b (N,) same dtype/device -> y (..., N)
//   bias_gelu_backward(x, b, gy): with z = x + b,
//     grad_x = gy * (Phi(z) + z * phi(z))         (..., N)
//     grad_b = sum of grad_x over the leading dims (N,)
// CPU: f32, f64 (bit-identical to gelu(add(x, b))). CUDA: f32, bf16, f16 (fp32 math).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor bias_gelu(const Tensor& x, const Tensor& b);

struct BiasGeluGrads {
  Tensor grad_x;  // (..., N)
  Tensor grad_b;  // (N,)
};
BiasGeluGrads bias_gelu_backward(const Tensor& x, const Tensor& b, const Tensor& grad_y);

// Backend twins (write into preallocated outputs).
void bias_gelu_forward_cpu(const Tensor& x, const Tensor& b, Tensor& y);
void bias_gelu_backward_cpu(const Tensor& x, const Tensor& b, const Tensor& grad_y, Tensor& grad_x, Tensor& grad_b);
void bias_gelu_forward_cuda(const Tensor& x, const Tensor& b, Tensor& y);
void bias_gelu_backward_cuda(const Tensor& x, const Tensor& b, const Tensor& grad_y, Tensor& grad_x,
                             Tensor& grad_b);

}  // namespace xlm
