// Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_, which
// XLM's trainer calls with --clip_grad_norm): the norm of all gradients taken
// together, then every gradient scaled in place by max_norm / (norm + 1e-6)
// when that factor is below 1. Parameters without a gradient are skipped.
// The squares are summed in double on the CPU; on CUDA each block sums in fp32
// and the block partials are added in double on the host, in a fixed order.
// A non-finite norm is returned as is and leaves the gradients untouched (the
// caller decides whether to skip the update).
// clip_factor_on_device measures the same clip without a device-to-host read
// (a training step must not wait for the GPU) and without scaling anything:
// the norm and the factor stay in device memory, and the optimizer multiplies
// each gradient by the factor as it reads it (Optimizer::step's grad_factors:
// one pass over the gradients instead of two, and no launch per parameter).
// The norm is read only when it is logged. On the CPU, scale_by with that
// factor gives clip_grad_norm's gradients bit for bit. With inv_scale (the
// gradients are still multiplied by a loss scale S = 1/inv_scale) the norm is
// that of the unscaled gradients and the factor unscales too, so the
// optimizer reads raw loss-scaled low-precision gradients in one pass (mixed
// precision without master gradients, tasks/pretrain/precision_step.h).
#pragma once

#include "core/tensor.h"
#include "nn/named_tensors.h"

#include <vector>

namespace xlm::nn {

// Scales every grad so their global L2 norm is <= max_norm (if max_norm > 0); returns the norm before.
double clip_grad_norm(const NamedTensors& params, double max_norm);

// clip_grad_norm's norm and factor without a host read, each a one-element
// f64 tensor on the gradients' device (item() the norm when needed):
//   norm   = sqrt(sum of g^2) * inv_scale
//   factor = min(1, max_norm / (norm + 1e-6)) * inv_scale
// computed on the device; the min is 1 when max_norm <= 0 or the norm is not
// finite. When S = 1/inv_scale is a power of two (dynamic loss scaling's
// always is) this is bit for bit the norm and the factor of gradients
// unscaled first, and the factor rounded to the parameter's dtype times a
// gradient is that gradient unscaled then scaled by clip_grad_norm's factor
// (no rounding happens in a multiply by a power of two, short of subnormals).
// The factor is undefined when it would be exactly 1 (max_norm <= 0 and
// inv_scale == 1: measure only) or no parameter has a gradient (the norm is
// then a 0 on the CPU). inv_scale: finite and > 0 (Error otherwise). All
// gradients must be on one device (DeviceError otherwise). Nothing is scaled.
struct ClipFactor {
  Tensor norm;    // (1,) f64
  Tensor factor;  // (1,) f64, or undefined
};
ClipFactor clip_factor_on_device(const NamedTensors& params, double max_norm, double inv_scale = 1.0);

// The global L2 norm of the parameters' gradients, without clipping.
double grad_norm(const NamedTensors& params);

// Backend twins over gradients on one device: the sum of squares, and g *= coef in place.
double grad_sum_squares_cpu(const std::vector<Tensor>& grads);
double grad_sum_squares_cuda(const std::vector<Tensor>& grads);
void scale_grads_cpu(const std::vector<Tensor>& grads, double coef);
void scale_grads_cuda(const std::vector<Tensor>& grads, double coef);
// norm and factor as clip_factor_on_device defines them, each into a
// one-element f64 tensor on the gradients' device (grads non-empty).
void grad_norm_and_factor_cpu(const std::vector<Tensor>& grads, double max_norm, double inv_scale, Tensor& norm,
                              Tensor& factor);
void grad_norm_and_factor_cuda(const std::vector<Tensor>& grads, double max_norm, double inv_scale, Tensor& norm,
                               Tensor& factor);

}  // namespace xlm::nn
