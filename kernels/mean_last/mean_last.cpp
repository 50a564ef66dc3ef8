// mean_last front: checks, backend dispatch, and the autograd record.
#include "kernels/mean_last/mean_last.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

Tensor mean_last(const Tensor& x, bool keepdim) {
  check_floating(x, "mean_last", "x");
  check_rank(x, 1, "mean_last", "x");
  Tensor y = Tensor::empty(reduce_last_shape(x.shape(), keepdim), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), mean_last_forward, x, y);
  const Shape x_shape = x.shape();
  autograd::record(y, "mean_last", {x}, [x_shape](const Tensor& gy) {
    Tensor gx = Tensor::empty(x_shape, gy.dtype(), gy.device());
    XLM_CALL_BACKEND(gy.device(), mean_last_backward, gy, gx);
    return std::vector<Tensor>{gx};
  });
  return y;
}

}  // namespace xlm
