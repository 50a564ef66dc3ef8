// Bias + GELU front: argument checks, backend dispatch, autograd record (the
// closure keeps x and b, which exist anyway; x + b is recomputed).
#include "kernels/bias_gelu/bias_gelu.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

namespace {

void check_inputs(const Tensor& x, const Tensor& b, const char* op) {
  check_floating(x, op, "x");
  check_rank(x, 1, op, "x");
  check_defined(b, op, "b");
  check_shape(b, {x.size(-1)}, op, "b");
  check_same_dtype(x, b, op);
  check_same_device(x, b, op);
}

}  // namespace

Tensor bias_gelu(const Tensor& x, const Tensor& b) {
  check_inputs(x, b, "bias_gelu");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), bias_gelu_forward, x, b, y);
  autograd::record(y, "bias_gelu", {x, b}, [x = x.detach(), b = b.detach()](const Tensor& gy) {
    BiasGeluGrads g = bias_gelu_backward(x, b, gy);
    return std::vector<Tensor>{g.grad_x, g.grad_b};
  });
  return y;
}

BiasGeluGrads bias_gelu_backward(const Tensor& x, const Tensor& b, const Tensor& grad_y) {
  const char* op = "bias_gelu_backward";
  check_inputs(x, b, op);
  check_shape(grad_y, x.shape(), op, "grad_y");
  check_same_dtype(x, grad_y, op);
  check_same_device(x, grad_y, op);
  BiasGeluGrads g;
  g.grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
  g.grad_b = Tensor::empty(b.shape(), b.dtype(), b.device());
  XLM_CALL_BACKEND(x.device(), bias_gelu_backward, x, b, grad_y, g.grad_x, g.grad_b);
  return g;
}

}  // namespace xlm
