// linear front: shape checks that name x, weight and bias, the 2-D views the
// twins work on, backend dispatch, and the autograd record. grad_x is a plain
// matmul (the same call matmul's own backward makes, so the bits match the
// unfused composition); grad_weight and grad_bias go to the fused twin when
// both are wanted, else to matmul or sum_to_suffix alone.
#include "kernels/linear/linear.h"

#include "core/autograd.h"
#include "kernels/add/add.h"
#include "kernels/backend.h"
#include "kernels/matmul/matmul.h"

namespace xlm {

namespace {

void check_inputs(const Tensor& x, const Tensor& weight, const Tensor& bias, const char* op) {
  check_floating(x, op, "x");
  check_rank(x, 1, op, "x");
  check_defined(weight, op, "weight");
  check_rank(weight, 2, op, "weight");
  XLM_CHECK(weight.dim() == 2 && weight.size(1) == x.size(-1), ShapeError,
            "{}: weight {} must be (out, in) with in = {}, the last dimension of x {}", op,
            shape_str(weight.shape()), x.size(-1), shape_str(x.shape()));
  check_same_dtype(x, weight, op);
  check_same_device(x, weight, op);
  if (bias.defined()) {
    check_shape(bias, {weight.size(0)}, op, "bias");
    check_same_dtype(x, bias, op);
    check_same_device(x, bias, op);
  }
}

// x (..., c) as (rows, c), outside the tape (the twins never record).
Tensor rows_view(const Tensor& t) {
  const int64_t rows = shape_numel(Shape(t.shape().begin(), t.shape().end() - 1));
  return t.detach().reshape({rows, t.size(-1)});
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined(bias, "linear", "bias");
  check_inputs(x, weight, bias, "linear");
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(weight.size(0));
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());  // (..., out)
  Tensor y2 = rows_view(y);                                     // (rows, out), y's storage
  XLM_CALL_BACKEND(x.device(), linear_forward, rows_view(x), weight, bias, y2);
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.requires_grad();
  autograd::record(y, "linear", {x, weight, bias},
                   [x = x.detach(), w = weight.detach(), need_x, need_w, need_b](const Tensor& gy) {
                     LinearGrads g = linear_backward(x, w, gy, need_x, need_w, need_b);
                     return std::vector<Tensor>{g.grad_x, g.grad_weight, g.grad_bias};
                   });
  return y;
}

LinearGrads linear_backward(const Tensor& x, const Tensor& weight, const Tensor& grad_y, bool need_x,
                            bool need_weight, bool need_bias) {
  const char* op = "linear_backward";
  check_inputs(x, weight, Tensor(), op);
  Shape y_shape(x.shape().begin(), x.shape().end() - 1);
  y_shape.push_back(weight.size(0));
  check_shape(grad_y, y_shape, op, "grad_y");
  check_same_dtype(x, grad_y, op);
  check_same_device(x, grad_y, op);
  LinearGrads g;
  const Tensor gy = grad_y.detach();
  if (need_x) {
    // matmul wants rank >= 2; a 1-D x is one row.
    g.grad_x = x.dim() >= 2 ? matmul(gy, weight.detach(), false, false)
                            : matmul(rows_view(gy), weight.detach(), false, false).reshape(x.shape());
  }
  const Tensor x2 = rows_view(x), gy2 = rows_view(gy);  // (rows, in), (rows, out)
  if (need_weight && need_bias) {
    g.grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
    g.grad_bias = Tensor::empty({weight.size(0)}, weight.dtype(), weight.device());
    XLM_CALL_BACKEND(x.device(), linear_weight_grad, x2, gy2, g.grad_weight, g.grad_bias);
  } else if (need_weight) {
    g.grad_weight = matmul(gy2, x2, true, false);
  } else if (need_bias) {
    g.grad_bias = sum_to_suffix(gy, {weight.size(0)});
  }
  return g;
}

}  // namespace xlm
