// Elementwise a * b with the same suffix broadcasting as add (kernels/add/add.h).
//   mul(a, b):  a any shape; b has a's shape or a trailing suffix of it -> out a's shape
//               backward: grad_a = g * b (broadcast); grad_b = sum_to_suffix(g * a, b.shape())
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 math).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor mul(const Tensor& a, const Tensor& b);

// Backend twins (write into a preallocated output of a's shape and dtype).
void mul_forward_cpu(const Tensor& a, const Tensor& b, Tensor& out);
void mul_forward_cuda(const Tensor& a, const Tensor& b, Tensor& out);

}  // namespace xlm
