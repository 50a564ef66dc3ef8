// Concatenation along one dimension (the decoder's key/value cache joins
// [B, T, H, D] along dim 1; batch building joins token tensors).
//   concat(xs, dim):  xs non-empty, all of one rank >= 1, dtype and device; every
//                     dim except `dim` equal (negative `dim` counts from the end)
//                     -> y with y.shape[dim] = sum of xs[i].shape[dim], the inputs
//                     laid one after the other along `dim`; same dtype.
//   backward:         dL/dxs[i] = the slice of dL/dy that xs[i] occupies
//                     (concat_backward, a split by `sizes`).
// CPU and CUDA: every dtype for the copy (i64 token tensors included);
// gradients exist for floating inputs only (only they can require one).
//
// Seen as a 2-D copy: with outer = prod(shape[:dim]) and inner = prod(shape[dim+1:]),
// input i is an (outer, sizes[i] * inner) block placed at column offset
// (sizes[0] + ... + sizes[i-1]) * inner of the (outer, total * inner) output.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace xlm {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
// Splits grad_y (or any tensor) along `dim` into pieces of the given sizes; the sizes
// must add up to grad_y.shape[dim]. Returns new contiguous tensors.
std::vector<Tensor> concat_backward(const Tensor& grad_y, const std::vector<int64_t>& sizes, int64_t dim);

// (outer, inner) of `shape` around dimension `dim` (already non-negative).
struct ConcatLayout {
  int64_t outer;  // product of the dims before `dim`
  int64_t inner;  // product of the dims after `dim`
};
ConcatLayout concat_layout(const Shape& shape, int64_t dim);

// Backend twins: `dim` validated and non-negative; outputs preallocated.
void concat_forward_cpu(const std::vector<Tensor>& xs, int64_t dim, Tensor& y);
void concat_backward_cpu(const Tensor& grad_y, int64_t dim, std::vector<Tensor>& grad_xs);
void concat_forward_cuda(const std::vector<Tensor>& xs, int64_t dim, Tensor& y);
void concat_backward_cuda(const Tensor& grad_y, int64_t dim, std::vector<Tensor>& grad_xs);

}  // namespace xlm
