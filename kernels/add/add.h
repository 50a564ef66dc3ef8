// Elementwise a + b with bias broadcasting, and the reduction its backward needs.
//   add(a, b):  a any shape; b has a's shape or a trailing suffix of it
//               (a [N, T, C] + b [C] or b [T, C]; b [] is a scalar) -> out a's shape
//               backward: grad_a = g; grad_b = sum_to_suffix(g, b.shape())
//   sum_to_suffix(g, suffix): g [L..., S...] -> [S...], summed over the leading dims L
//               (suffix must be a trailing suffix of g's shape); backward broadcasts back.
// Only suffix broadcasting exists: it is the one pattern a transformer needs
// (biases, position embeddings), and it keeps b's index a plain `i % numel(b)`.
// CPU: f32, f64 (sums accumulate in f64). CUDA: f32, bf16, f16 (fp32 math).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sum_to_suffix(const Tensor& g, const Shape& suffix);

// Throws ShapeError naming both shapes unless b's shape is a trailing suffix of a's
// (checks dtype and device too). Shared by the broadcasting binary ops (add, mul).
void check_suffix_broadcast(const Tensor& a, const Tensor& b, const char* op);
bool is_shape_suffix(const Shape& shape, const Shape& suffix);

// Backend twins (write into preallocated outputs).
void add_forward_cpu(const Tensor& a, const Tensor& b, Tensor& out);  // out: a's shape
void add_forward_cuda(const Tensor& a, const Tensor& b, Tensor& out);
void sum_to_suffix_cpu(const Tensor& g, Tensor& out);  // out's shape is a suffix of g's
void sum_to_suffix_cuda(const Tensor& g, Tensor& out);

}  // namespace xlm
