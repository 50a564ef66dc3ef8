// Multiplication by a host scalar: y = alpha * x.
//   scale(x, alpha): x any shape -> y same shape, same dtype; backward: grad_x = alpha * g
// alpha is a double so callers never round it themselves; kernels apply it in
// the compute precision (f64 on the CPU for f64, fp32 otherwise).
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 math).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor scale(const Tensor& x, double alpha);

// Backend twins (write into a preallocated output of x's shape and dtype).
void scale_forward_cpu(const Tensor& x, double alpha, Tensor& y);
void scale_forward_cuda(const Tensor& x, double alpha, Tensor& y);

}  // namespace xlm
