// ZeRO-1's per-group gradient norms and clip factors kept on the device, so
// an update reads nothing back (docs/performance.md): each rank sums the
// squares of its shard of every clip group into a (G) f64 device tensor, the
// ranks all-reduce it, and the norms and factors are computed in place on the
// device; the gradients are scaled by scale_by, whose kernel reads the
// factor from device memory. The trainer reads the norms only for a log line.
// On the CPU the arithmetic is that of the host version it replaced
// (nn::grad_sum_squares_cpu, std::sqrt, max_norm / (norm + 1e-6)), bit for bit.
#pragma once

#include "core/tensor.h"

#include <vector>

namespace xlm::tasks {

// sums (G) f64 on `device`: sums[g] = the sum of squares of groups[g]'s
// elements (0 for an empty group), accumulated in double on the CPU, in fp32
// per block and double across blocks on CUDA.
void zero1_group_sum_squares(const std::vector<std::vector<Tensor>>& groups, Tensor& sums);

// norms[g] = sqrt(sums[g]); factors[g] = min(1, max_norm / (norms[g] + 1e-6)),
// 1 when max_norm <= 0 or the norm is not finite. All (G) f64 on one device.
void zero1_norms_and_factors(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors);

// Backend twins.
void zero1_group_sum_squares_cpu(const std::vector<std::vector<Tensor>>& groups, Tensor& sums);
void zero1_group_sum_squares_cuda(const std::vector<std::vector<Tensor>>& groups, Tensor& sums);
void zero1_norms_and_factors_cpu(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors);
void zero1_norms_and_factors_cuda(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors);

}  // namespace xlm::tasks
