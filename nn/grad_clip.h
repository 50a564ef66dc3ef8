// Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_, which
// XLM's trainer calls with --clip_grad_norm): the norm of all gradients taken
// together, then every gradient scaled in place by max_norm / (norm + 1e-6)
// when that factor is below 1. Parameters without a gradient are skipped.
// The squares are summed in double on the CPU; on CUDA each block sums in fp32
// and the block partials are added in double on the host, in a fixed order.
// A non-finite norm is returned as is and leaves the gradients untouched (the
// caller decides whether to skip the update).
#pragma once

#include "nn/named_tensors.h"

#include <vector>

namespace xlm::nn {

// Scales every grad so their global L2 norm is <= max_norm (if max_norm > 0); returns the norm before.
double clip_grad_norm(const NamedTensors& params, double max_norm);

// The global L2 norm of the parameters' gradients, without clipping.
double grad_norm(const NamedTensors& params);

// Backend twins over gradients on one device: the sum of squares, and g *= coef in place.
double grad_sum_squares_cpu(const std::vector<Tensor>& grads);
double grad_sum_squares_cuda(const std::vector<Tensor>& grads);
void scale_grads_cpu(const std::vector<Tensor>& grads, double coef);
void scale_grads_cuda(const std::vector<Tensor>& grads, double coef);

}  // namespace xlm::nn
