// XLM's post-LN residual block as one op: y = LN(x + dropout(f)) * gamma + beta,
// optionally times a per-row factor (XLM's `tensor *= mask.unsqueeze(-1)` after
// each layer). Fused so that the GPU reads x and f once, never stores the sum or
// the dropout mask (it is redrawn from Philox in the backward), and keeps only
// the per-row statistics for the backward.
//   residual_layer_norm(x, f, gamma, beta, eps, dropout, row_scale):
//     x, f (..., C) same shape/dtype/device, gamma/beta (C,), C >= 1
//     z = x + keep(i) * f / (1 - p), keep(i) = philox_uniform(seed, offset + i) > dropout_threshold(p)
//         (i the flat index into f, exactly the rule of kernels/dropout; p == 0 keeps
//          every element without drawing, p == 1 drops every element)
//     y = layer_norm(z, gamma, beta, eps)                       -> (..., C), x's dtype
//     y[..., c] *= row_scale[...] when row_scale (...) is given (x's dtype and device;
//         a constant such as the padding mask: it gets no gradient, and one that
//         requires one is refused)
//   residual_layer_norm_backward(...) with g = grad_y * row_scale (grad_y without one)
//   and gz = layer_norm_backward(z, ..., g).grad_x:
//     grad_x = gz, grad_f = keep * gz / (1 - p), grad_gamma, grad_beta as layer_norm of g
// Statistics (mean, rstd) are (...,) in f32 (f64 for f64 x), as layer_norm.
// CPU: f32, f64 (bit-identical to scale_rows(layer_norm(add(x, dropout(f))), row_scale)).
// CUDA: f32, bf16, f16 (z, statistics and reductions in fp32; the row factor is
// applied before the output's one rounding, so a 0/1 mask gives the bits of
// the unfused pair).
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

// The dropout applied to f (the defaults mean no dropout).
struct ResidualDropout {
  double p = 0;
  uint64_t seed = 0;
  uint64_t offset = 0;
};

Tensor residual_layer_norm(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta, double eps,
                           const ResidualDropout& dropout = {}, const Tensor& row_scale = Tensor());

struct ResidualLayerNormGrads {
  Tensor grad_x;      // (..., C)
  Tensor grad_f;      // (..., C)
  Tensor grad_gamma;  // (C,)
  Tensor grad_beta;   // (C,)
};

// mean, rstd: (...,) as saved by the forward; row_scale (...,) or undefined, as given to it.
ResidualLayerNormGrads residual_layer_norm_backward(const Tensor& x, const Tensor& f, const Tensor& gamma,
                                                    const Tensor& mean, const Tensor& rstd, const Tensor& grad_y,
                                                    const ResidualDropout& dropout,
                                                    const Tensor& row_scale = Tensor());

// What the backends need to redraw the mask: element i of f is kept iff
// !active or philox_uniform(seed, offset + i) > threshold; kept values are scaled.
struct DropoutKeep {
  bool active = false;
  float threshold = 0;
  double scale = 1;  // 1 / (1 - p); 0 when p == 1
  uint64_t seed = 0;
  uint64_t offset = 0;
};

// Backend twins (write into preallocated outputs; row_scale may be undefined).
void residual_layer_norm_forward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                     double eps, const DropoutKeep& keep, const Tensor& row_scale, Tensor& y,
                                     Tensor& mean, Tensor& rstd);
void residual_layer_norm_backward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                      const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                      const Tensor& row_scale, Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma,
                                      Tensor& grad_beta);
void residual_layer_norm_forward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                      double eps, const DropoutKeep& keep, const Tensor& row_scale, Tensor& y,
                                      Tensor& mean, Tensor& rstd);
void residual_layer_norm_backward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                       const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                       const Tensor& row_scale, Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma,
                                       Tensor& grad_beta);

}  // namespace xlm
