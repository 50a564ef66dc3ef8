// GELU front: argument checks, backend dispatch, and the autograd record.
#include "kernels/gelu/gelu.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Tensor gelu(const Tensor& x) {
  check_floating(x, "gelu", "x");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), gelu_forward, x, y);
  autograd::record(y, "gelu", {x}, [x = x.detach()](const Tensor& gy) {
    return std::vector<Tensor>{gelu_backward(x, gy)};
  });
  return y;
}

Tensor gelu_backward(const Tensor& x, const Tensor& grad_y) {
  check_floating(x, "gelu_backward", "x");
  check_shape(grad_y, x.shape(), "gelu_backward", "grad_y");
  check_same_dtype(x, grad_y, "gelu_backward");
  check_same_device(x, grad_y, "gelu_backward");
  Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), gelu_backward, x, grad_y, gx);
  return gx;
}

}  // namespace xlm
