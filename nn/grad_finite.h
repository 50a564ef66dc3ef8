// Finite checks and unscaling of gradients for mixed precision. The loss
// scaler needs two things from every gradient each step: multiply by
// 1/scale, and know whether any element is inf or NaN. Both happen in one
// pass over memory (the fused unscale-and-check that torch's GradScaler and
// apex run as one kernel), and a device answers with one flag read back at
// the end: one host sync per device per step, whatever the number of tensors.
// The check looks at the value as stored after the multiply, so an unscale
// that overflows the gradient's dtype is caught too.
// Parameters without a gradient are skipped. CPU: f32 and f64 gradients;
// CUDA: f32, bf16 and f16 (computed in fp32).
#pragma once

#include "nn/named_tensors.h"

#include <vector>

namespace xlm::nn {

// True when every element of every gradient is finite (nothing is written).
bool all_finite(const NamedTensors& params);

// Multiplies every gradient by `inv_scale` in place and returns true when all
// the results are finite. On false the gradients hold garbage (the caller
// skips the step and drops them). inv_scale == 1 only checks.
bool unscale_grads_and_check(const NamedTensors& params, double inv_scale);

// Backend twins over gradients on one device: g *= inv_scale (skipped when
// inv_scale == 1) and returns whether every stored result is finite.
bool unscale_and_check_cpu(const std::vector<Tensor>& grads, double inv_scale);
bool unscale_and_check_cuda(const std::vector<Tensor>& grads, double inv_scale);

}  // namespace xlm::nn
