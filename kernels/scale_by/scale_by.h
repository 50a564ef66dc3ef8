// Multiplication by a scalar that lives in device memory: y = factor[0] * x.
//   scale_by(x, factor): x any shape, floating -> y same shape and dtype;
//   factor: one floating element on x's device (any floating dtype).
//   backward: grad_x = scale_by(g, factor); factor is a constant (no gradient).
// scale() takes its scalar from the host, so a factor computed on the GPU (the
// clipping factor of nn/grad_clip.h) would have to be read back first, which
// stalls the host until the GPU drains; here the kernel reads it itself.
// The factor is applied in the compute precision: cast to T on the CPU (f64
// math for f64, f32 for f32), fp32 on CUDA.
// CPU: f32, f64 (factor f32 or f64). CUDA: f32, bf16, f16 (factor any of
// those or f64). The backend twins may write in place (y may alias x).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor scale_by(const Tensor& x, const Tensor& factor);

// Backend twins (y preallocated with x's shape and dtype, or x itself).
void scale_by_forward_cpu(const Tensor& x, const Tensor& factor, Tensor& y);
void scale_by_forward_cuda(const Tensor& x, const Tensor& factor, Tensor& y);

}  // namespace xlm
