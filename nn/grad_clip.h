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
// factor gives clip_grad_norm's gradients bit for bit.
#pragma once

#include "core/tensor.h"
#include "nn/named_tensors.h"

#include <vector>

namespace xlm::nn {

// Scales every grad so their global L2 norm is <= max_norm (if max_norm > 0); returns the norm before.
double clip_grad_norm(const NamedTensors& params, double max_norm);

// clip_grad_norm's norm and factor without a host read, each a one-element
// f64 tensor on the gradients' device (item() the norm when needed). factor =
// min(1, max_norm / (norm + 1e-6)), computed on the device, 1 when the norm is
// not finite; undefined when max_norm <= 0 (measure only) or no parameter has
// a gradient (the norm is then a 0 on the CPU). All gradients must be on one
// device (DeviceError otherwise). Nothing is scaled.
struct ClipFactor {
  Tensor norm;    // (1,) f64
  Tensor factor;  // (1,) f64, or undefined
};
ClipFactor clip_factor_on_device(const NamedTensors& params, double max_norm);

// The global L2 norm of the parameters' gradients, without clipping.
double grad_norm(const NamedTensors& params);

// Backend twins over gradients on one device: the sum of squares, and g *= coef in place.
double grad_sum_squares_cpu(const std::vector<Tensor>& grads);
double grad_sum_squares_cuda(const std::vector<Tensor>& grads);
void scale_grads_cpu(const std::vector<Tensor>& grads, double coef);
void scale_grads_cuda(const std::vector<Tensor>& grads, double coef);
// norm = sqrt(sum of squares) and the clip factor, each into a one-element f64
// tensor on the gradients' device (grads non-empty).
void grad_norm_and_factor_cpu(const std::vector<Tensor>& grads, double max_norm, Tensor& norm, Tensor& factor);
void grad_norm_and_factor_cuda(const std::vector<Tensor>& grads, double max_norm, Tensor& norm, Tensor& factor);

}  // namespace xlm::nn
