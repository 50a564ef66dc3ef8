// max_last front: checks, backend dispatch, and the autograd record. The
// argmax indices are computed with the values and kept for the backward only.
#include "kernels/max_last/max_last.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

Tensor max_last(const Tensor& x, bool keepdim) {
  check_floating(x, "max_last", "x");
  check_rank(x, 1, "max_last", "x");
  XLM_CHECK(x.size(-1) > 0, ShapeError, "max_last: the last dimension of x {} is empty", shape_str(x.shape()));
  const Shape out_shape = reduce_last_shape(x.shape(), keepdim);
  Tensor values = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor indices = Tensor::empty(out_shape, DType::i64, x.device());
  XLM_CALL_BACKEND(x.device(), max_last_forward, x, values, indices);
  const Shape x_shape = x.shape();
  autograd::record(values, "max_last", {x}, [x_shape, indices](const Tensor& gy) {
    Tensor gx = Tensor::empty(x_shape, gy.dtype(), gy.device());
    XLM_CALL_BACKEND(gy.device(), max_last_backward, indices, gy, gx);
    return std::vector<Tensor>{gx};
  });
  return values;
}

}  // namespace xlm
