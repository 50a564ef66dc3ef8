// Permute: reorders the dimensions of a tensor into a new contiguous tensor
// (our tensors are always contiguous, so a permutation is a copy, not a view).
//   permute(x, dims): x of rank r <= 6, dims a permutation of 0..r-1 (negative
//                     entries count from the end) -> y with y.shape[i] = x.shape[dims[i]],
//                     y[i0, .., i_{r-1}] = x[j] where j[dims[i]] = i_i; same dtype.
//   backward:         dL/dx = permute(dL/dy, inverse(dims)).
// CPU and CUDA: every dtype (elements are moved as raw bytes by element size).
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace xlm {

constexpr int64_t kPermuteMaxRank = 6;

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);

// Backend twins: `dims` already validated and non-negative; y preallocated with the permuted shape.
void permute_forward_cpu(const Tensor& x, const std::vector<int64_t>& dims, Tensor& y);
void permute_forward_cuda(const Tensor& x, const std::vector<int64_t>& dims, Tensor& y);

}  // namespace xlm
