// Counter-based inverted dropout. Element i (flat, row-major) is kept iff
// philox_uniform(seed, offset + i) > p (core/philox.h: the uniform cuRAND's
// Philox4_32_10 returns after curand_init(seed, 0, offset + i)); kept values
// are scaled by 1/(1-p), dropped ones are 0. No mask is stored: the backward
// regenerates it from (seed, offset), and CPU and CUDA draw the same mask.
//   dropout(x, p, seed, offset):     x any shape, floating -> same shape/dtype
//   dropout_backward(gy, p, seed, offset): dL/dx = the same masking of gy
//   dropout_mask(shape, p, seed, offset, device): u8 keep flags (1 = kept)
// p == 0 returns a copy, p == 1 zeros; p outside [0, 1] throws ConfigError.
// The caller advances `offset` by at least numel between calls that must
// draw independent masks.
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 math).
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

Tensor dropout(const Tensor& x, double p, uint64_t seed, uint64_t offset);
Tensor dropout_backward(const Tensor& grad_y, double p, uint64_t seed, uint64_t offset);
Tensor dropout_mask(const Shape& shape, double p, uint64_t seed, uint64_t offset, Device device);

// The float t with (u > p) <=> (u > t) for every float u: p rounded toward
// -infinity. Both twins compare the float uniform against it, so the keep
// decision is exact and identical on CPU and CUDA.
float dropout_threshold(double p);

// Backend twins: y = x * keep * scale (y preallocated like x); mask: u8 keep flags.
void dropout_forward_cpu(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y);
void dropout_mask_cpu(float threshold, uint64_t seed, uint64_t offset, Tensor& mask);
void dropout_forward_cuda(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y);
void dropout_mask_cuda(float threshold, uint64_t seed, uint64_t offset, Tensor& mask);

}  // namespace xlm
