// The per-element Adam update shared by the single-tensor and multi-tensor
// CUDA kernels, so both compute bit for bit the same thing (moments first,
// then decoupled decay, then the step: XLM's order, as adam_update_cpu.cpp).
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include <cuda_runtime.h>

namespace xlm::nn {

// Scalars rounded once from the host's doubles.
struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps, decay, step;
  bool decays;
};

// Updates m and v in place and returns the new parameter value.
__device__ __forceinline__ float adam_element(float p, float g, float& m, float& v, const AdamScalars& s) {
  m = m * s.beta1 + s.one_minus_beta1 * g;
  v = v * s.beta2 + s.one_minus_beta2 * g * g;
  const float denom = sqrtf(v) + s.eps;
  if (s.decays) p = p + s.decay * p;
  return p - s.step * (m / denom);
}

}  // namespace xlm::nn
