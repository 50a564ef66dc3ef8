// ReLU front: argument checks, backend dispatch, and the autograd record. The
// backward keeps x (not y) so that the mask is "x > 0" exactly as documented.
#include "kernels/relu/relu.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Tensor relu(const Tensor& x) {
  check_floating(x, "relu", "x");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), relu_forward, x, y);
  autograd::record(y, "relu", {x}, [x = x.detach()](const Tensor& gy) {
    return std::vector<Tensor>{relu_backward(x, gy)};
  });
  return y;
}

Tensor relu_backward(const Tensor& x, const Tensor& grad_y) {
  check_floating(x, "relu_backward", "x");
  check_shape(grad_y, x.shape(), "relu_backward", "grad_y");
  check_same_dtype(x, grad_y, "relu_backward");
  check_same_device(x, grad_y, "relu_backward");
  Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), relu_backward, x, grad_y, gx);
  return gx;
}

}  // namespace xlm
