// Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_, which
// XLM's trainer calls with --clip_grad_norm): the norm of all gradients taken
// together, then every gradient scaled in place by max_norm / (norm + 1e-6)
// when that factor is below 1. Parameters without a gradient are skipped.
// The squares are summed in double on the CPU; on CUDA each block sums in fp32
// and the block partials are added in double on the host, in a fixed order.
// A non-finite norm is returned as is and leaves the gradients untouched (the
// caller decides whether to skip the update).
// clip_grad_norm_on_device is the same clip without a device-to-host read (a
// training step must not wait for the GPU): the norm and the factor stay in
// device memory and scale_by's kernel reads the factor; the norm is read only
// when it is logged. On the CPU it gives clip_grad_norm's results bit for bit.
#pragma once

#include "nn/named_tensors.h"

#include <vector>

namespace xlm::nn {

// Scales every grad so their global L2 norm is <= max_norm (if max_norm > 0); returns the norm before.
double clip_grad_norm(const NamedTensors& params, double max_norm);

// clip_grad_norm without a host read: the norm before clipping as a one-element
// f64 tensor on the gradients' device (item() it when needed). The factor
// min(1, max_norm / (norm + 1e-6)) is computed on the device, 1 when the norm is
// not finite; max_norm <= 0 measures only. All gradients must be on one device
// (DeviceError otherwise); without any gradient the norm is a 0 on the CPU.
Tensor clip_grad_norm_on_device(const NamedTensors& params, double max_norm);

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
