// XLM's post-LN residual block as one op: y = LN(x + dropout(f)) * gamma + beta.
// Fused so that the GPU reads x and f once, never stores the sum or the
// dropout mask (it is redrawn from Philox in the backward), and keeps only the
// per-row statistics for the backward.
//   residual_layer_norm(x, f, gamma, beta, eps, dropout):
//     x, f (..., C) same shape/dtype/device, gamma/beta (C,), C >= 1
//     z = x + keep(i) * f / (1 - p), keep(i) = philox_uniform(seed, offset + i) > dropout_threshold(p)
//         (i the flat index into f, exactly the rule of kernels/dropout; p == 0 keeps
//          every element without drawing, p == 1 drops every element)
//     y = layer_norm(z, gamma, beta, eps)                       -> (..., C), x's dtype
//   residual_layer_norm_backward(...) with gz = layer_norm_backward(z, ...).grad_x:
//     grad_x = gz, grad_f = keep * gz / (1 - p), grad_gamma, grad_beta as layer_norm
// Statistics (mean, rstd) are (...,) in f32 (f64 for f64 x), as layer_norm.
// CPU: f32, f64 (bit-identical to layer_norm(add(x, dropout(f)))). CUDA: f32,
// bf16, f16 (z, statistics and reductions in fp32).
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
                           const ResidualDropout& dropout = {});

struct ResidualLayerNormGrads {
  Tensor grad_x;      // (..., C)
  Tensor grad_f;      // (..., C)
  Tensor grad_gamma;  // (C,)
  Tensor grad_beta;   // (C,)
};

// mean, rstd: (...,) as saved by the forward.
ResidualLayerNormGrads residual_layer_norm_backward(const Tensor& x, const Tensor& f, const Tensor& gamma,
                                                    const Tensor& mean, const Tensor& rstd, const Tensor& grad_y,
                                                    const ResidualDropout& dropout);

// What the backends need to redraw the mask: element i of f is kept iff
// !active or philox_uniform(seed, offset + i) > threshold; kept values are scaled.
struct DropoutKeep {
  bool active = false;
  float threshold = 0;
  double scale = 1;  // 1 / (1 - p); 0 when p == 1
  uint64_t seed = 0;
  uint64_t offset = 0;
};

// Backend twins (write into preallocated outputs).
void residual_layer_norm_forward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                     double eps, const DropoutKeep& keep, Tensor& y, Tensor& mean, Tensor& rstd);
void residual_layer_norm_backward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                      const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                      Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma, Tensor& grad_beta);
void residual_layer_norm_forward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                      double eps, const DropoutKeep& keep, Tensor& y, Tensor& mean, Tensor& rstd);
void residual_layer_norm_backward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                       const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                       Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma, Tensor& grad_beta);

}  // namespace xlm
