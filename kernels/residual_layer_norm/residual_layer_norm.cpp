// Residual layer-norm front: argument checks (worded as layer_norm's), the
// dropout rule turned into a DropoutKeep once, backend dispatch and the
// autograd record. The closure keeps x, f (inputs anyway), gamma, the
// statistics and the row factor: nothing of size (..., C) is allocated for
// the backward.
#include "kernels/residual_layer_norm/residual_layer_norm.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/dropout/dropout.h"
#include "kernels/layer_norm/layer_norm.h"

#include <cmath>

namespace xlm {

namespace {

Shape row_shape(const Tensor& x) { return Shape(x.shape().begin(), x.shape().end() - 1); }

void check_inputs(const Tensor& x, const Tensor& f, const Tensor& gamma, const char* op) {
  check_floating(x, op, "x");
  check_rank(x, 1, op, "x");
  XLM_CHECK(x.size(-1) >= 1, ShapeError, "{}: 'x' needs a non-empty last dimension, got {}", op, x.describe());
  check_shape(f, x.shape(), op, "f");
  check_same_dtype(x, f, op);
  check_same_device(x, f, op);
  check_shape(gamma, {x.size(-1)}, op, "gamma");
  check_same_dtype(x, gamma, op);
  check_same_device(x, gamma, op);
}

// row_scale: undefined, or (...,) in x's dtype on x's device, taking no gradient.
void check_row_scale(const Tensor& x, const Tensor& row_scale, const char* op) {
  if (!row_scale.defined()) return;
  check_shape(row_scale, row_shape(x), op, "row_scale");
  check_same_dtype(x, row_scale, op);
  check_same_device(x, row_scale, op);
  XLM_CHECK(!row_scale.requires_grad(), Error,
            "{}: 'row_scale' is a constant (the padding mask) and takes no gradient; use scale_rows for a learned one",
            op);
}

DropoutKeep keep_rule(const ResidualDropout& d, const char* op) {
  if (!(d.p >= 0.0 && d.p <= 1.0))
    throw ConfigError(fmt::format("{}: dropout probability p must be in [0, 1], got {}", op, d.p));
  DropoutKeep k;
  if (d.p == 0.0) return k;
  k.active = true;
  k.threshold = dropout_threshold(d.p);
  k.scale = d.p < 1.0 ? 1.0 / (1.0 - d.p) : 0.0;
  k.seed = d.seed;
  k.offset = d.offset;
  return k;
}

}  // namespace

Tensor residual_layer_norm(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta, double eps,
                           const ResidualDropout& dropout, const Tensor& row_scale) {
  const char* op = "residual_layer_norm";
  check_inputs(x, f, gamma, op);
  check_row_scale(x, row_scale, op);
  check_shape(beta, {x.size(-1)}, op, "beta");
  check_same_dtype(x, beta, op);
  check_same_device(x, beta, op);
  XLM_CHECK(std::isfinite(eps) && eps > 0, Error, "{}: eps must be a positive finite number, got {}", op, eps);
  const DropoutKeep keep = keep_rule(dropout, op);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const DType stats = layer_norm_stats_dtype(x.dtype());
  Tensor mean = Tensor::empty(row_shape(x), stats, x.device());  // (...,)
  Tensor rstd = Tensor::empty(row_shape(x), stats, x.device());  // (...,)
  XLM_CALL_BACKEND(x.device(), residual_layer_norm_forward, x, f, gamma, beta, eps, keep, row_scale, y, mean, rstd);
  autograd::record(y, op, {x, f, gamma, beta},
                   [x = x.detach(), f = f.detach(), gamma = gamma.detach(), mean, rstd, dropout,
                    row_scale = row_scale.defined() ? row_scale.detach() : Tensor()](const Tensor& gy) {
                     ResidualLayerNormGrads g =
                         residual_layer_norm_backward(x, f, gamma, mean, rstd, gy, dropout, row_scale);
                     return std::vector<Tensor>{g.grad_x, g.grad_f, g.grad_gamma, g.grad_beta};
                   });
  return y;
}

ResidualLayerNormGrads residual_layer_norm_backward(const Tensor& x, const Tensor& f, const Tensor& gamma,
                                                    const Tensor& mean, const Tensor& rstd, const Tensor& grad_y,
                                                    const ResidualDropout& dropout, const Tensor& row_scale) {
  const char* op = "residual_layer_norm_backward";
  check_inputs(x, f, gamma, op);
  check_row_scale(x, row_scale, op);
  check_layer_norm_backward_inputs(x, mean, rstd, grad_y, op);
  const DropoutKeep keep = keep_rule(dropout, op);
  ResidualLayerNormGrads g;
  g.grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
  g.grad_f = Tensor::empty(x.shape(), x.dtype(), x.device());
  g.grad_gamma = Tensor::empty(gamma.shape(), gamma.dtype(), gamma.device());
  g.grad_beta = Tensor::empty(gamma.shape(), gamma.dtype(), gamma.device());
  XLM_CALL_BACKEND(x.device(), residual_layer_norm_backward, x, f, gamma, mean, rstd, grad_y, keep, row_scale,
                   g.grad_x, g.grad_f, g.grad_gamma, g.grad_beta);
  return g;
}

}  // namespace xlm
