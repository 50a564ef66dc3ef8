// Cast front: same dtype is a plain copy; otherwise dispatch, and record the
// backward only between floating dtypes (integers carry no gradient).
#include "kernels/cast/cast.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Tensor cast(const Tensor& x, DType to) {
  check_defined(x, "cast", "x");
  Tensor y;
  if (x.dtype() == to) {
    y = x.clone();
  } else {
    y = Tensor::empty(x.shape(), to, x.device());
    XLM_CALL_BACKEND(x.device(), cast_forward, x, y);
  }
  if (is_floating(x.dtype()) && is_floating(to)) {
    const DType from = x.dtype();
    autograd::record(y, "cast", {x}, [from](const Tensor& gy) { return std::vector<Tensor>{cast(gy, from)}; });
  }
  return y;
}

}  // namespace xlm
