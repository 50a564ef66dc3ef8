// sum_last front: checks, backend dispatch, and the autograd record.
#include "kernels/sum_last/sum_last.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Shape reduce_last_shape(const Shape& x_shape, bool keepdim) {
  Shape out(x_shape.begin(), x_shape.end() - 1);
  if (keepdim) out.push_back(1);
  return out;
}

Tensor sum_last(const Tensor& x, bool keepdim) {
  check_floating(x, "sum_last", "x");
  check_rank(x, 1, "sum_last", "x");
  Tensor y = Tensor::empty(reduce_last_shape(x.shape(), keepdim), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), sum_last_forward, x, 1.0, y);
  const Shape x_shape = x.shape();
  autograd::record(y, "sum_last", {x}, [x_shape](const Tensor& gy) {
    Tensor gx = Tensor::empty(x_shape, gy.dtype(), gy.device());
    XLM_CALL_BACKEND(gy.device(), sum_last_backward, gy, 1.0, gx);
    return std::vector<Tensor>{gx};
  });
  return y;
}

}  // namespace xlm
