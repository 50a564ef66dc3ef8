// LayerNorm front: argument checks, backend dispatch, and the autograd record.
// The forward allocates the per-row mean/rstd and hands them (detached) to
// the backward closure, so the backward is a single pass over x.
#include "kernels/layer_norm/layer_norm.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <cmath>

namespace xlm {

namespace {

Shape row_shape(const Tensor& x) { return Shape(x.shape().begin(), x.shape().end() - 1); }

void check_params(const Tensor& x, const Tensor& gamma, const char* op) {
  check_floating(x, op, "x");
  check_rank(x, 1, op, "x");
  XLM_CHECK(x.size(-1) >= 1, ShapeError, "{}: 'x' needs a non-empty last dimension, got {}", op, x.describe());
  check_shape(gamma, {x.size(-1)}, op, "gamma");
  check_same_dtype(x, gamma, op);
  check_same_device(x, gamma, op);
}

}  // namespace

DType layer_norm_stats_dtype(DType x_dtype) { return x_dtype == DType::f64 ? DType::f64 : DType::f32; }

void check_layer_norm_backward_inputs(const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& grad_y,
                                      const char* op) {
  const DType stats = layer_norm_stats_dtype(x.dtype());
  check_shape(mean, row_shape(x), op, "mean");
  check_shape(rstd, row_shape(x), op, "rstd");
  check_dtype(mean, stats, op, "mean");
  check_dtype(rstd, stats, op, "rstd");
  check_same_device(x, mean, op);
  check_same_device(x, rstd, op);
  check_shape(grad_y, x.shape(), op, "grad_y");
  check_same_dtype(x, grad_y, op);
  check_same_device(x, grad_y, op);
}

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps) {
  check_params(x, gamma, "layer_norm");
  check_shape(beta, {x.size(-1)}, "layer_norm", "beta");
  check_same_dtype(x, beta, "layer_norm");
  check_same_device(x, beta, "layer_norm");
  XLM_CHECK(std::isfinite(eps) && eps > 0, Error, "layer_norm: eps must be a positive finite number, got {}", eps);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const DType stats = layer_norm_stats_dtype(x.dtype());
  Tensor mean = Tensor::empty(row_shape(x), stats, x.device());  // (...,)
  Tensor rstd = Tensor::empty(row_shape(x), stats, x.device());  // (...,)
  XLM_CALL_BACKEND(x.device(), layer_norm_forward, x, gamma, beta, eps, y, mean, rstd);
  autograd::record(y, "layer_norm", {x, gamma, beta},
                   [x = x.detach(), gamma = gamma.detach(), mean, rstd](const Tensor& gy) {
                     LayerNormGrads g = layer_norm_backward(x, gamma, mean, rstd, gy);
                     return std::vector<Tensor>{g.grad_x, g.grad_gamma, g.grad_beta};
                   });
  return y;
}

LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& grad_y) {
  const char* op = "layer_norm_backward";
  check_params(x, gamma, op);
  check_layer_norm_backward_inputs(x, mean, rstd, grad_y, op);
  LayerNormGrads g;
  g.grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
  g.grad_gamma = Tensor::empty(gamma.shape(), gamma.dtype(), gamma.device());
  g.grad_beta = Tensor::empty(gamma.shape(), gamma.dtype(), gamma.device());
  XLM_CALL_BACKEND(x.device(), layer_norm_backward, x, gamma, mean, rstd, grad_y, g.grad_x, g.grad_gamma,
                   g.grad_beta);
  return g;
}

}  // namespace xlm
