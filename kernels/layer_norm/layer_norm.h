// Layer normalisation over the last dimension, as in every XLM sublayer
// (eps = 1e-12 there). Forward keeps the per-row statistics so the backward
// never recomputes them; both are computed in fp32 (f64 for f64 inputs).
//   layer_norm(x, gamma, beta, eps):
//     x (..., C), gamma (C,), beta (C,) same dtype and device, C >= 1
//     mean = mean(x, -1), var = mean((x - mean)^2, -1) (biased), rstd = 1 / sqrt(var + eps)
//     y = (x - mean) * rstd * gamma + beta            -> (..., C), x's dtype
//   layer_norm_backward(x, gamma, mean, rstd, grad_y): with xhat = (x - mean) * rstd,
//     dxhat = grad_y * gamma,
//     grad_x     = rstd * (dxhat - mean(dxhat, -1) - xhat * mean(dxhat * xhat, -1))
//     grad_gamma = sum over rows of grad_y * xhat,  grad_beta = sum over rows of grad_y
// CPU: f32, f64. CUDA: f32, bf16, f16 (statistics and reductions in fp32).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps);

struct LayerNormGrads {
  Tensor grad_x;      // (..., C), x's dtype
  Tensor grad_gamma;  // (C,)
  Tensor grad_beta;   // (C,)
};

// mean, rstd: (...,) = x's shape without its last dimension; f32 (f64 for f64 x).
LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& grad_y);

// The statistics' dtype for an input dtype: f64 for f64, f32 otherwise.
DType layer_norm_stats_dtype(DType x_dtype);

// The checks every layer-norm backward shares (also residual_layer_norm's):
// mean and rstd are x's rows in layer_norm_stats_dtype, grad_y is like x,
// all on x's device. ShapeError/DTypeError/DeviceError naming `op`.
void check_layer_norm_backward_inputs(const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& grad_y,
                                      const char* op);

// Backend twins (write into preallocated outputs).
void layer_norm_forward_cpu(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, Tensor& y,
                            Tensor& mean, Tensor& rstd);
void layer_norm_backward_cpu(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                             const Tensor& grad_y, Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta);
void layer_norm_forward_cuda(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, Tensor& y,
                             Tensor& mean, Tensor& rstd);
void layer_norm_backward_cuda(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                              const Tensor& grad_y, Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta);

}  // namespace xlm
